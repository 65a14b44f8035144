/*
 * sqlite_errors.c - how the SQLite backend fails: a damaged file, a foreign
 * database, a file locked by another writer past the busy time-out, a
 * database from a newer mailmedic (refused and left byte-for-byte as it
 * was), a default location that cannot be created; and four processes
 * creating and filling one file at once.  Each failure must be a
 * clear status and a message naming the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <mailmedic/store.h>

static char dir[256];

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static size_t read_file(const char *path, char **data)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = malloc((size_t)n + 1);
    assert_int_equal(fread(*data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return (size_t)n;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

static mm_status_t open_at(const char *where, int busy_ms, mm_store **s, char *why, size_t n)
{
    mm_store_options o;
    mm_store_options_default(&o);
    o.busy_timeout_ms = busy_ms;
    return mm_store_open(where, &o, s, why, n);
}

static void make_store(const char *path)
{
    mm_store *s = NULL;
    char why[512];
    mm_status_t st = open_at(path, 1000, &s, why, sizeof why);
    if (st != MM_OK)
        fail_msg("open %s: %s (%s)", path, mm_strerror(st), why);
    mm_event e = {.key = "k1",
                  .time = 100,
                  .address = "a@b.test",
                  .action = "failed",
                  .category = MM_CATEGORY_INVALID_ADDRESS,
                  .hard = true};
    assert_int_equal(mm_store_add_events(s, &e, 1, NULL, NULL, NULL), MM_OK);
    mm_store_close(s);
}

static void test_garbage_file(void **state)
{
    (void)state;
    char path[512], why[512], buf[8192];
    path_of(path, sizeof path, "garbage.sqlite");
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(i * 7 + 13);
    write_file(path, buf, sizeof buf);
    mm_store *s = (mm_store *)1;
    assert_int_equal(open_at(path, 100, &s, why, sizeof why), MM_EDB);
    assert_null(s);
    assert_non_null(strstr(why, path));
    assert_non_null(strstr(why, "is not a mailmedic database (file is not a database)"));
    char *after = NULL;
    assert_int_equal(read_file(path, &after), sizeof buf);
    assert_memory_equal(after, buf, sizeof buf);
    free(after);
}

static void test_foreign_database(void **state)
{
    (void)state;
    char path[512], why[512];
    path_of(path, sizeof path, "foreign.sqlite");
    raw_exec(path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
    mm_store *s = NULL;
    assert_int_equal(open_at(path, 100, &s, why, sizeof why), MM_EDB);
    assert_non_null(strstr(why, path));
    assert_non_null(strstr(why, "not a mailmedic database"));
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_locked(void **state)
{
    (void)state;
    char path[512], why[512];
    path_of(path, sizeof path, "locked.sqlite");
    make_store(path);

    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);

    /* WAL lets readers in, so the open may succeed; the first write waits
     * out the busy time-out and fails. */
    mm_store *s = NULL;
    double t0 = seconds();
    mm_status_t st = open_at(path, 300, &s, why, sizeof why);
    const char *msg = why;
    if (st == MM_OK) {
        mm_event e = {.key = "k2", .time = 200, .address = "c@d.test", .action = "failed"};
        st = mm_store_add_events(s, &e, 1, NULL, NULL, NULL);
        msg = mm_store_error(s);
    }
    double waited = seconds() - t0;
    assert_int_equal(st, MM_EBUSY);
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, "locked"));
    assert_true(waited >= 0.25);

    /* once the other writer is done, the same store works */
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    if (!s)
        assert_int_equal(open_at(path, 300, &s, why, sizeof why), MM_OK);
    mm_event e = {.key = "k3", .time = 300, .address = "c@d.test", .action = "failed"};
    size_t added = 0;
    assert_int_equal(mm_store_add_events(s, &e, 1, NULL, NULL, &added), MM_OK);
    assert_int_equal(added, 1);
    mm_store_close(s);
}

static void test_newer_schema(void **state)
{
    (void)state;
    char path[512], why[512];
    path_of(path, sizeof path, "newer.sqlite");
    make_store(path);
    raw_exec(path, "PRAGMA journal_mode = DELETE; UPDATE meta SET value = '99'"
                   " WHERE key = 'schema_version'");
    struct stat before, after;
    char *bytes = NULL, *bytes2 = NULL;
    size_t n = read_file(path, &bytes);
    assert_int_equal(stat(path, &before), 0);
    sleep(1); /* so a write would show in the mtime */

    mm_store *s = NULL;
    assert_int_equal(open_at(path, 100, &s, why, sizeof why), MM_ESCHEMA);
    assert_null(s);
    char want[700];
    snprintf(want, sizeof want,
             "%s was written by a newer mailmedic (schema 99, this program "
             "knows 1)",
             path);
    assert_string_equal(why, want);

    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(read_file(path, &bytes2), n);
    assert_memory_equal(bytes, bytes2, n);
    assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
    assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
    free(bytes);
    free(bytes2);
}

static void test_default_path(void **state)
{
    (void)state;
    char data[512], file[600], why[512];
    path_of(data, sizeof data, "xdg");
    setenv("XDG_DATA_HOME", data, 1);
    mm_store *s = NULL;
    assert_int_equal(mm_store_open(NULL, NULL, &s, why, sizeof why), MM_OK);
    assert_string_equal(mm_store_backend(s), "sqlite");
    mm_store_close(s);
    snprintf(file, sizeof file, "%s/mailmedic/log.sqlite", data);
    assert_int_equal(access(file, F_OK), 0);

    /* XDG_DATA_HOME unset: ~/.local/share */
    unsetenv("XDG_DATA_HOME");
    path_of(data, sizeof data, "home");
    setenv("HOME", data, 1);
    assert_int_equal(mm_store_open("", NULL, &s, why, sizeof why), MM_OK);
    mm_store_close(s);
    snprintf(file, sizeof file, "%s/.local/share/mailmedic/log.sqlite", data);
    assert_int_equal(access(file, F_OK), 0);

    /* "sqlite:PATH" */
    path_of(data, sizeof data, "prefixed.sqlite");
    snprintf(file, sizeof file, "sqlite:%s", data);
    assert_int_equal(mm_store_open(file, NULL, &s, why, sizeof why), MM_OK);
    mm_store_close(s);
    assert_int_equal(access(data, F_OK), 0);
}

static void test_unwritable_default(void **state)
{
    (void)state;
    char ro[512], why[512];
    mm_store *s = NULL;
    /* a plain file where a directory should be: fails even for root */
    path_of(ro, sizeof ro, "not-a-dir");
    write_file(ro, "x", 1);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/data", ro);
    setenv("XDG_DATA_HOME", sub, 1);
    assert_int_equal(mm_store_open(NULL, NULL, &s, why, sizeof why), MM_EIO);
    assert_null(s);
    assert_non_null(strstr(why, ro));

    /* a read-only directory (root ignores the mode: checked only as a user) */
    path_of(ro, sizeof ro, "readonly");
    assert_int_equal(mkdir(ro, 0500), 0);
    setenv("XDG_DATA_HOME", ro, 1);
    if (geteuid() != 0) {
        assert_int_equal(mm_store_open(NULL, NULL, &s, why, sizeof why), MM_EIO);
        assert_non_null(strstr(why, ro));
        assert_non_null(strstr(why, "mailmedic"));
    }
    chmod(ro, 0700);
    unsetenv("XDG_DATA_HOME");
}

/* Four processes create the same new file at once and add the same 1,000
 * events in different orders: the schema is created once, every event is
 * stored once, and the "added" counts sum to 1,000. */
static size_t child_adds(const char *path, int who)
{
    mm_store *s = NULL;
    char why[512];
    if (open_at(path, 30000, &s, why, sizeof why) != MM_OK) {
        fprintf(stderr, "child %d: %s\n", who, why);
        _exit(2);
    }
    size_t total = 0;
    for (int b = 0; b < 20; b++) {
        int batch = (b + who * 5) % 20; /* each child starts elsewhere */
        mm_event ev[50];
        char key[50][32], addr[50][48];
        for (int i = 0; i < 50; i++) {
            int n = batch * 50 + i;
            snprintf(key[i], sizeof key[i], "conc-%d", n);
            snprintf(addr[i], sizeof addr[i], "u%d@conc.test", n % 300);
            ev[i] = (mm_event){.key = key[i],
                               .time = 1000 + n,
                               .address = addr[i],
                               .action = "failed",
                               .category = MM_CATEGORY_TEMPORARY};
        }
        size_t added = 0;
        if (mm_store_add_events(s, ev, 50, NULL, NULL, &added) != MM_OK) {
            fprintf(stderr, "child %d: %s\n", who, mm_store_error(s));
            _exit(3);
        }
        total += added;
    }
    mm_store_close(s);
    return total;
}

static int count_event(void *arg, const mm_event *e)
{
    (void)e;
    (*(int *)arg)++;
    return 0;
}

static void test_concurrent_writers(void **state)
{
    (void)state;
    char path[512], why[512];
    path_of(path, sizeof path, "concurrent.sqlite");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pids[4];
    for (int c = 0; c < 4; c++) {
        pids[c] = fork();
        assert_true(pids[c] >= 0);
        if (pids[c] == 0) {
            size_t n = child_adds(path, c);
            if (write(fds[1], &n, sizeof n) != (ssize_t)sizeof n)
                _exit(4);
            _exit(0);
        }
    }
    close(fds[1]);
    size_t sum = 0, n;
    while (read(fds[0], &n, sizeof n) == (ssize_t)sizeof n)
        sum += n;
    close(fds[0]);
    for (int c = 0; c < 4; c++) {
        int status = 0;
        assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(sum, 1000);
    mm_store *s = NULL;
    assert_int_equal(open_at(path, 1000, &s, why, sizeof why), MM_OK);
    int events = 0;
    assert_int_equal(mm_store_each_event(s, NULL, count_event, &events), MM_OK);
    assert_int_equal(events, 1000);
    mm_store_close(s);
}

static void test_postgres_uri(void **state)
{
    (void)state;
    char why[512] = "";
    mm_store *s = NULL;
    mm_store_options o;
    mm_store_options_default(&o);
    o.connect_timeout_s = 2;
    /* Without PostgreSQL support: "not built"; with it: nothing listens on port 1. */
    mm_status_t st = mm_store_open("postgresql://mm@127.0.0.1:1/mm", &o, &s, why, sizeof why);
    assert_true(st == MM_EINVAL || st == MM_ECONN);
    assert_null(s);
    assert_true(strlen(why) > 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/mm-store-err-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garbage_file),
        cmocka_unit_test(test_foreign_database),
        cmocka_unit_test(test_locked),
        cmocka_unit_test(test_newer_schema),
        cmocka_unit_test(test_default_path),
        cmocka_unit_test(test_unwritable_default),
        cmocka_unit_test(test_concurrent_writers),
        cmocka_unit_test(test_postgres_uri),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
