/*
 * addrcheck.c - runs mm_addr_check() over lines of stdin, for the suite
 * scripts.  A line that starts with '"' is a JSON string literal (so it
 * can carry CR, LF, NUL); any other line is the address as it is.  Prints
 * one tab-separated line per input:
 *   valid|invalid  code  column  text  fixed  notes(code:column,...)  flags
 * Usage: addrcheck [--rfc5322] [--raw] < lines;  addrcheck --codes lists the code names.
 */
#include <mailmedic/address.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex4(const char *s, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        *v = *v * 16 + (uint32_t)d;
    }
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80)
        return o[0] = (char)cp, 1;
    if (cp < 0x800)
        return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000)
        return o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
               o[2] = (char)(0x80 | (cp & 0x3F)), 3;
    o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the JSON string literal at s into out; returns its length or -1. */
static long json_string(const char *s, char *out)
{
    size_t o = 0;
    if (*s++ != '"')
        return -1;
    while (*s && *s != '"') {
        if (*s != '\\') {
            out[o++] = *s++;
            continue;
        }
        s++;
        uint32_t cp;
        switch (*s) {
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'u':
            if (hex4(s + 1, &cp))
                return -1;
            s += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s[1] == '\\' && s[2] == 'u') {
                uint32_t lo;
                if (hex4(s + 3, &lo))
                    return -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            }
            o += put_utf8(out + o, cp);
            break;
        default:
            out[o++] = *s;
            break;
        }
        s++;
    }
    return *s == '"' && s[1] == '\0' ? (long)o : -1; /* the whole line */
}

/* Field text with controls, TAB and "\\" escaped, so one result is one line. */
static void put_field(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7F || c == '\\')
            printf("\\x%02X", c);
        else
            putchar(c);
    }
    putchar('\t');
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--codes") == 0) {
        for (int i = 0; i < MM_ADDR_CODE_MAX_; i++)
            if (strcmp(mm_addr_code_name((mm_addr_code)i), "unknown") != 0)
                printf("%s\n", mm_addr_code_name((mm_addr_code)i));
        return 0;
    }
    unsigned opts = 0;
    bool raw = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rfc5322") == 0)
            opts |= MM_ADDR_RFC5322;
        else if (strcmp(argv[i], "--raw") == 0)
            raw = true;
    }
    mm_addr_checker *c;
    if (mm_addr_checker_create(&c) != MM_OK) {
        fprintf(stderr, "addrcheck: cannot create the checker\n");
        return 2;
    }
    static char line[1 << 16], buf[1 << 16];
    static mm_addr a;
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strcspn(line, "\n");
        line[n] = '\0';
        const char *in = line;
        long k;
        if (!raw && n >= 2 && line[0] == '"' && line[n - 1] == '"' &&
            (k = json_string(line, buf)) >= 0)
            in = buf, n = (size_t)k;
        mm_addr_check(c, in, n, opts, &a);
        const mm_addr_issue *e = a.n_errors ? &a.errors[0] : NULL;
        printf("%s\t%s\t%zu\t", a.syntax_ok ? "valid" : "invalid",
               mm_addr_code_name(e ? e->code : MM_ADDR_OK), e ? e->column : 0);
        put_field(e ? e->text : "");
        put_field(a.fixed);
        for (size_t i = 0; i < a.n_notes; i++)
            printf("%s%s:%zu", i ? "," : "", mm_addr_code_name(a.notes[i].code), a.notes[i].column);
        printf("\t%x\t", a.flags);
        put_field(a.address);
        put_field(a.domain_ascii);
        putchar('\n');
    }
    mm_addr_checker_free(c);
    return 0;
}
