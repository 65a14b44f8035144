/*
 * conn.c - non-blocking socket and TLS I/O with deadlines, for the probe.
 *
 * Everything waits in wait_fd(): poll() on the socket and the abort
 * descriptor with what is left of the deadline.  Plain reads and writes use
 * recv()/send() with MSG_NOSIGNAL; OpenSSL writes with write(), which could
 * raise SIGPIPE on a connection the server dropped, so the prober's worker
 * threads block SIGPIPE (see prober.c) and the error comes back as EPIPE.
 */
#include "smtp/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>

int64_t mm_smtp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events, the deadline passes or an abort comes. */
static smtp_io wait_fd(smtp_conn *c, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mm_smtp_now_ms();
        if (left <= 0)
            return SMTP_IO_TIMEOUT;
        struct pollfd pf[2] = {{c->fd, events, 0}, {c->abort_fd, POLLIN, 0}};
        int n = poll(pf, c->abort_fd >= 0 ? 2 : 1, left > 60000 ? 60000 : (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            c->err = errno;
            return SMTP_IO_ERROR;
        }
        if (c->abort_fd >= 0 && (pf[1].revents & POLLIN))
            return SMTP_IO_ABORTED;
        /* POLLERR/POLLHUP: let the next read or write report what happened. */
        if (pf[0].revents)
            return SMTP_IO_OK;
    }
}

static smtp_io errno_io(smtp_conn *c, int e)
{
    c->err = e;
    return (e == ECONNRESET || e == EPIPE) ? SMTP_IO_CLOSED : SMTP_IO_ERROR;
}

smtp_io smtp_conn_open(smtp_conn *c, const struct sockaddr *sa, socklen_t salen, int timeout_ms,
                       int abort_fd)
{
    memset(c, 0, sizeof *c);
    c->abort_fd = abort_fd;
    c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return errno_io(c, errno);
    smtp_io io = SMTP_IO_OK;
    if (connect(c->fd, sa, salen) != 0) {
        if (errno != EINPROGRESS)
            io = errno_io(c, errno);
        else if ((io = wait_fd(c, POLLOUT, mm_smtp_now_ms() + timeout_ms)) == SMTP_IO_OK) {
            int e = 0;
            socklen_t el = sizeof e;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
                e = errno;
            if (e != 0)
                io = errno_io(c, e);
        }
    }
    if (io != SMTP_IO_OK)
        smtp_conn_close(c);
    return io;
}

/* What an OpenSSL call's failure means for us; may ask to wait and retry. */
static smtp_io ssl_wait(smtp_conn *c, int ret, int64_t deadline, smtp_io fail)
{
    switch (SSL_get_error(c->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        return wait_fd(c, POLLIN, deadline);
    case SSL_ERROR_WANT_WRITE:
        return wait_fd(c, POLLOUT, deadline);
    case SSL_ERROR_ZERO_RETURN:
        return SMTP_IO_CLOSED;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        return errno == 0 ? SMTP_IO_CLOSED : errno_io(c, errno);
    default:
        ERR_clear_error();
        return fail;
    }
}

smtp_io smtp_conn_send(smtp_conn *c, const char *data, size_t len, int64_t deadline)
{
    while (len > 0) {
        size_t n = 0;
        smtp_io io;
        if (c->ssl) {
            errno = 0;
            int ret = SSL_write_ex(c->ssl, data, len, &n);
            io = ret == 1 ? SMTP_IO_OK : ssl_wait(c, ret, deadline, SMTP_IO_ERROR);
        } else {
            ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
            if (w >= 0) {
                n = (size_t)w;
                io = SMTP_IO_OK;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                io = wait_fd(c, POLLOUT, deadline);
            else
                io = errno_io(c, errno);
        }
        if (io != SMTP_IO_OK)
            return io;
        data += n;
        len -= n;
    }
    return SMTP_IO_OK;
}

/* Read what is there into c->in (at least one byte), waiting until deadline. */
static smtp_io fill(smtp_conn *c, int64_t deadline)
{
    size_t room = sizeof c->in - c->in_len;
    for (;;) {
        smtp_io io;
        if (c->ssl) {
            size_t n = 0;
            errno = 0;
            int ret = SSL_read_ex(c->ssl, c->in + c->in_len, room, &n);
            if (ret == 1) {
                c->in_len += n;
                return SMTP_IO_OK;
            }
            io = ssl_wait(c, ret, deadline, SMTP_IO_ERROR);
        } else {
            ssize_t r = recv(c->fd, c->in + c->in_len, room, 0);
            if (r > 0) {
                c->in_len += (size_t)r;
                return SMTP_IO_OK;
            }
            if (r == 0)
                return SMTP_IO_CLOSED;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                io = wait_fd(c, POLLIN, deadline);
            else
                io = errno_io(c, errno);
        }
        if (io != SMTP_IO_OK)
            return io;
    }
}

smtp_io smtp_conn_reply(smtp_conn *c, mm_smtp_reply *r, int64_t deadline)
{
    mm_smtp_reply_init(r);
    for (;;) {
        size_t used = 0;
        mm_smtp_parse pr = mm_smtp_reply_feed(r, c->in, c->in_len, &used);
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        if (pr == MM_SMTP_PARSE_DONE)
            return SMTP_IO_OK;
        if (pr == MM_SMTP_PARSE_BAD)
            return SMTP_IO_BAD;
        if (pr == MM_SMTP_PARSE_TOOBIG)
            return SMTP_IO_TOOBIG;
        /* The parser leaves at most MM_SMTP_LINE_MAX + 1 bytes of a partial
         * line, so there is always room for more. */
        smtp_io io = fill(c, deadline);
        if (io != SMTP_IO_OK)
            return io;
    }
}

smtp_io smtp_conn_starttls(smtp_conn *c, SSL_CTX *ctx, const char *sni, int64_t deadline)
{
    /* RFC 3207 section 6 (and CVE-2011-0411): anything the server sent
     * after its 220 but before the handshake could have been injected by a
     * man in the middle; it must not be read as part of the TLS session. */
    c->in_len = 0;
    c->ssl = SSL_new(ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        return SMTP_IO_TLS;
    if (sni)
        SSL_set_tlsext_host_name(c->ssl, sni);
    for (;;) {
        errno = 0;
        int ret = SSL_connect(c->ssl);
        if (ret == 1)
            return SMTP_IO_OK;
        smtp_io io = ssl_wait(c, ret, deadline, SMTP_IO_TLS);
        if (io != SMTP_IO_OK)
            return io == SMTP_IO_CLOSED || io == SMTP_IO_ERROR ? SMTP_IO_TLS : io;
    }
}

void smtp_conn_close(smtp_conn *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}
