/*
 * cliout.c - standard output that cannot be written is an error, not a
 * silent loss.
 *
 * The policy, the way coreutils (gnulib's close_stdout) behaves:
 *  - SIGPIPE is ignored for the whole run, so that a socket whose peer went
 *    away (verify --smtp through OpenSSL, checkup, log's PostgreSQL) gives
 *    EPIPE, an error the code handles, instead of killing the process.
 *  - When standard output's reader is gone (EPIPE on standard output, and
 *    only there), the program ends quietly by SIGPIPE, as a program with
 *    the default action would: `diagnose BIG | head -1` stops reading
 *    after head has left, and the shell sees "killed by SIGPIPE".
 *    diagnose, verify and checkup end at the failed write (cli_stdout_error());
 *    the log commands first finish their database work (cli_stdout_note())
 *    and end at cli_stdout_close().
 *  - Any other write error (ENOSPC, EIO, EBADF...) is remembered: the
 *    streaming commands (diagnose, verify) stop reading input, every
 *    command finishes what it has begun (a database transaction), and
 *    cli_stdout_close(), called by main() after every command, reports it
 *    in one line and turns the exit status into EXIT_INTERNAL (3 in every
 *    command's table).  Output written through stdio (help texts, the log
 *    commands) is checked there too: fflush(), ferror(), fclose().
 *
 * The state is one static: the first error of a write to standard output
 * (0 while there is none).  Standard output is one per process, and so is
 * its state; the program's threads write it only from the main thread.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int stdout_errno; /* the first write error on standard output, or 0 */

/* A standard stream closed at the start (>&-) is held by /dev/null opened
 * the wrong way round: no file, socket or io_uring the program opens later
 * can become that descriptor (and receive the results), and a write to
 * standard output still fails with EBADF, as on a closed one. */
static void hold_closed_fd(int fd, int flags)
{
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
        return;
    int n = open("/dev/null", flags | O_CLOEXEC);
    if (n >= 0 && n != fd) { /* (the lowest free descriptor: n == fd) */
        (void)dup2(n, fd);
        close(n);
    }
}

void cli_stdout_setup(void)
{
    hold_closed_fd(STDIN_FILENO, O_WRONLY);
    hold_closed_fd(STDOUT_FILENO, O_RDONLY);
    hold_closed_fd(STDERR_FILENO, O_RDONLY);
    /* A peer that closed its socket (verify --smtp's writes through
     * OpenSSL, checkup's HTTPS, log's PostgreSQL) must be an EPIPE error
     * the code reports, not the end of the process.  Set here, not left to
     * a library: GMime's gpgme happens to ignore SIGPIPE too, but a side
     * effect is nothing to rely on. */
    signal(SIGPIPE, SIG_IGN);
}

/* End as a program with the default SIGPIPE action would have. */
static _Noreturn void die_of_sigpipe(void)
{
    signal(SIGPIPE, SIG_DFL);
    raise(SIGPIPE);
    _exit(128 + SIGPIPE); /* SIGPIPE blocked: still end, with the shell's code */
}

void cli_stdout_note(int err)
{
    if (!stdout_errno)
        stdout_errno = err ? err : EIO;
}

void cli_stdout_error(int err)
{
    if (err == EPIPE)
        die_of_sigpipe();
    cli_stdout_note(err);
}

bool cli_stdout_failed(void)
{
    return stdout_errno != 0;
}

static void fail(int err, bool now)
{
    if (now)
        cli_stdout_error(err);
    else
        cli_stdout_note(err);
}

static bool write_all(struct iovec *v, int n, bool now)
{
    if (stdout_errno)
        return false; /* the rest would be lost too: do not try again */
    if (fflush(stdout) != 0) {
        fail(errno, now);
        return false;
    }
    while (n > 0) {
        ssize_t w = writev(STDOUT_FILENO, v, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {STDOUT_FILENO, POLLOUT, 0}; /* a non-blocking stdout */
            (void)poll(&pfd, 1, -1);
            continue;
        }
        if (w <= 0) {
            fail(w < 0 ? errno : EIO, now); /* 0 for a non-empty write: no progress */
            return false;
        }
        size_t done = (size_t)w;
        while (n > 0 && done >= v->iov_len) {
            done -= v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (char *)v->iov_base + done;
            v->iov_len -= done;
        }
    }
    return true;
}

bool cli_stdout_writev(struct iovec *v, int n)
{
    return write_all(v, n, true);
}

bool cli_stdout_write(const void *p, size_t len)
{
    struct iovec v = {(void *)p, len};
    return write_all(&v, len ? 1 : 0, true);
}

bool cli_stdout_write_note(const void *p, size_t len)
{
    struct iovec v = {(void *)p, len};
    return write_all(&v, len ? 1 : 0, false);
}

void cli_stdout_usage(FILE *fp)
{
    /* A line of its own, not in each command's exit-status text: those
     * texts keep their translations. */
    fputs(_("Exit status 3 also when standard output could not be written.\n"), fp);
}

/* stdio's error flag is set but its errno is gone (bytes written past
 * stdio's buffer are not kept to be tried again): a pipe or socket whose
 * reader left says POLLERR, and that was EPIPE; else 0, unknown. */
static int lost_errno(void)
{
    struct stat sb;
    if (fstat(STDOUT_FILENO, &sb) != 0 || !(S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)))
        return 0;
    struct pollfd pfd = {STDOUT_FILENO, POLLOUT, 0};
    if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
        return EPIPE;
    return 0;
}

int cli_stdout_close(int rc)
{
    int err = stdout_errno;
    bool failed = err != 0;
    if (!failed && fflush(stdout) != 0) {
        err = errno;
        failed = true;
    }
    if (!failed && ferror(stdout)) {
        err = lost_errno();
        failed = true;
    }
    /* close() is where NFS reports a delayed write error.  EBADF: standard
     * output was closed from the start (>&-) and nothing was written to it
     * (a write would have failed above). */
    if (fclose(stdout) != 0 && !failed && errno != EBADF) {
        err = errno;
        failed = true;
    }
    if (!failed)
        return rc;
    if (err == EPIPE)
        die_of_sigpipe();
    if (err)
        log_warnx(_("standard output: write error: %s"), strerror(err));
    else
        log_warnx(_("standard output: write error"));
    return EXIT_INTERNAL;
}
