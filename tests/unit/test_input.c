/*
 * test_input.c - message sources (input.h) on a tree built in a temporary
 * directory: the order of a directory walk, what it skips, nested
 * directories, errors that name their input and let the walk go on, the
 * mbox split, and the size limit.  Failures print "got X, want Y".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mailmedic/input.h>

static char root[256];

static void put(const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void mkdir_rel(const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    assert_int_equal(mkdir(path, 0700), 0);
}

/* Every message and error of paths as "source#index:bytes" or
 * "source!error" lines, with root replaced by "R". */
static void walk(const char *const *paths, size_t n, size_t limit, char *out, size_t cap)
{
    mm_input *in;
    assert_int_equal(mm_input_open(paths, n, limit, &in), MM_OK);
    size_t used = 0, rl = strlen(root);
    out[0] = '\0';
    for (;;) {
        mm_input_msg m;
        char why[256];
        mm_status_t st = mm_input_next(in, &m, why, sizeof why);
        if (st == MM_ENOTFOUND)
            break;
        const char *src = m.source;
        if (strncmp(src, root, rl) == 0) {
            used += (size_t)snprintf(out + used, cap - used, "R");
            src += rl;
        }
        if (st != MM_OK)
            used += (size_t)snprintf(out + used, cap - used, "%s!%s\n", src, why);
        else
            used += (size_t)snprintf(out + used, cap - used, "%s#%zu:%.*s%s\n", src, m.index,
                                     (int)m.len, m.bytes, m.truncated ? " [cut]" : "");
        assert_true(used < cap);
    }
    mm_input_destroy(in);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/mm-test-input-XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx %s && rm -rf %s", root, root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Names in byte order, hidden entries and Maildir tmp/ skipped, a nested
 * directory walked where it sorts, a file named "-" read as that file. */
static void test_dir_order(void **state)
{
    (void)state;
    mkdir_rel("d");
    put("d/b", "B");
    put("d/a", "A");
    put("d/-", "DASH");
    put("d/.hidden", "H");
    mkdir_rel("d/tmp");
    put("d/tmp/t", "T");
    mkdir_rel("d/c");
    put("d/c/z", "Z");
    put("d/c/y", "Y");
    mkdir_rel("d/c/e");
    put("d/A", "UPPER");
    put("d/d", "D");
    char dir[300], out[4096];
    snprintf(dir, sizeof dir, "%s/d", root);
    const char *paths[] = {dir};
    walk(paths, 1, 0, out, sizeof out);
    assert_string_equal(out, "R/d/-#0:DASH\n"
                             "R/d/A#0:UPPER\n"
                             "R/d/a#0:A\n"
                             "R/d/b#0:B\n"
                             "R/d/c/y#0:Y\n"
                             "R/d/c/z#0:Z\n"
                             "R/d/d#0:D\n");
    /* the same with a trailing slash: no double slash in the names */
    snprintf(dir, sizeof dir, "%s/d/c/", root);
    walk(paths, 1, 0, out, sizeof out);
    assert_string_equal(out, "R/d/c/y#0:Y\nR/d/c/z#0:Z\n");
}

/* Inputs that cannot be read are errors naming them; the walk goes on with
 * the next entry and the next path.  A dangling link fails for anyone;
 * permissions make errors only for a user other than root. */
static void test_dir_errors(void **state)
{
    (void)state;
    bool root_user = geteuid() == 0;
    mkdir_rel("e");
    put("e/1", "ONE");
    put("e/2", "TWO");
    char p2[300];
    snprintf(p2, sizeof p2, "%s/e/2", root);
    assert_int_equal(chmod(p2, 0), 0);
    mkdir_rel("e/3");
    put("e/3/x", "X");
    snprintf(p2, sizeof p2, "%s/e/3", root);
    assert_int_equal(chmod(p2, 0), 0);
    snprintf(p2, sizeof p2, "%s/e/4", root);
    assert_int_equal(symlink("nowhere", p2), 0);
    put("e/5", "FIVE");
    char dir[300], missing[300], out[4096];
    snprintf(dir, sizeof dir, "%s/e", root);
    snprintf(missing, sizeof missing, "%s/none", root);
    const char *paths[] = {dir, missing};
    walk(paths, 2, 0, out, sizeof out);
    if (root_user)
        assert_string_equal(out, "R/e/1#0:ONE\n"
                                 "R/e/2#0:TWO\n"
                                 "R/e/3/x#0:X\n"
                                 "R/e/4!No such file or directory\n"
                                 "R/e/5#0:FIVE\n"
                                 "R/none!No such file or directory\n");
    else
        assert_string_equal(out, "R/e/1#0:ONE\n"
                                 "R/e/2!Permission denied\n"
                                 "R/e/3!cannot read directory: Permission denied\n"
                                 "R/e/4!No such file or directory\n"
                                 "R/e/5#0:FIVE\n"
                                 "R/none!No such file or directory\n");
}

/* Directories nested deeper than a process may hold descriptors for each
 * level at once would be a problem only if each level kept one after its
 * last entry: a chain of 300 directories with one file at the bottom. */
static void test_deep_dirs(void **state)
{
    (void)state;
    char rel[4096] = "deep";
    mkdir_rel(rel);
    for (int i = 0; i < 300; i++) {
        strcat(rel, "/x");
        mkdir_rel(rel);
    }
    strcat(rel, "/m");
    put(rel, "BOTTOM");
    char dir[300], out[8192];
    snprintf(dir, sizeof dir, "%s/deep", root);
    const char *paths[] = {dir};
    walk(paths, 1, 0, out, sizeof out);
    assert_non_null(strstr(out, "/x/m#0:BOTTOM\n"));
    assert_null(strchr(out, '!'));
}

/* An mbox splits on "From " lines; a plain file is one message cut at the
 * limit. */
static void test_mbox_and_limit(void **state)
{
    (void)state;
    put("box", "From a@b Thu Jul  2 12:05:05 2020\nSubject: 1\n\nbody\n>From x\n\n"
               "From c@d Thu Jul  2 12:05:06 2020\nSubject: 2\n\nmore\n");
    put("big", "0123456789");
    char box[300], big[300], out[4096];
    snprintf(box, sizeof box, "%s/box", root);
    snprintf(big, sizeof big, "%s/big", root);
    const char *paths[] = {box, big};
    walk(paths, 2, 4, out, sizeof out);
    /* the limit cuts the mbox's messages too */
    assert_string_equal(out, "R/box#0:Subj [cut]\nR/box#1:Subj [cut]\nR/big#0:0123 [cut]\n");
    walk(paths, 2, 0, out, sizeof out);
    assert_string_equal(out, "R/box#0:Subject: 1\n\nbody\nFrom x\n\n\n"
                             "R/box#1:Subject: 2\n\nmore\n\n"
                             "R/big#0:0123456789\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dir_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mbox_and_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
