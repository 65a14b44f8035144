/*
 * main.c - replay a fuzz target's corpus without libFuzzer.
 *
 * Runs LLVMFuzzerTestOneInput() once on every regular file of the corpus
 * directory given at build time (FUZZ_CORPUS, e.g. fuzz/fuzz_message.in), or
 * on the files and directories named on the command line.  A crash or a
 * sanitizer report fails the test; inputs that found bugs are kept in the
 * corpus so they stay fixed.  Exit 77 (meson: skipped) if there is no corpus.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzzer.h"

static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0, got;
    uint8_t *data = malloc(cap);
    while (data && (got = fread(data + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *p = realloc(data, cap *= 2);
            if (!p)
                free(data);
            data = p;
        }
    }
    fclose(fp);
    if (!data)
        return -1;
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 1;
}

/* Replay path: a file, or every visible file of a directory.  Returns files run, -1 on error. */
static int replay(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode))
        return replay_file(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (stat(sub, &sb) == 0 && S_ISREG(sb.st_mode) && replay_file(sub) > 0)
            n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    int total = 0;
    if (argc < 2) {
        total = replay(FUZZ_CORPUS);
        if (total <= 0) {
            printf("no corpus in %s\n", FUZZ_CORPUS);
            return 77;
        }
    }
    for (int i = 1; i < argc; i++) {
        int n = replay(argv[i]);
        if (n < 0) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            return 1;
        }
        total += n;
    }
    printf("%s: %d inputs replayed, no crash\n", argv[0], total);
    return 0;
}
