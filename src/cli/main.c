/*
 * main.c - the mailmedic program: global options, then one subcommand.
 * Subcommands: diagnose, verify; checkup and log slot in beside them.
 */
#include <mailmedic/mailmedic.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command;

static const command commands[] = {
    {"diagnose", cmd_diagnose, N_("read bounces: why delivery failed and what to do")},
    {"verify", cmd_verify, N_("check addresses before sending: syntax, typos, domain, mailbox")},
    {"checkup", cmd_checkup, N_("the sender's health report: SPF, DKIM, DMARC, MX, reverse DNS")},
    {"log", cmd_log, N_("the bounce log: suppression list, retry schedule, statistics, export")},
    {NULL, NULL, NULL},
};

static void usage(FILE *fp)
{
    fprintf(fp, _("Usage: %s [--lang=zh|en] COMMAND [OPTION]... [ARG]...\n"
                  "mailmedic diagnoses, explains and prevents email bounces.\n\nCommands:\n"),
            progname);
    for (const command *c = commands; c->name; c++)
        fprintf(fp, "  %-10s %s\n", c->name, _(c->help));
    fprintf(fp, _("\nRun '%s COMMAND --help' for a command's options.\n"
                  "  -l, --lang=LANG  zh or en (default: from the locale)\n"
                  "  -h, --help       show this help\n"
                  "  -V, --version    show the version\n"),
            progname);
}

/* Global options, then the command. */
static int run(int argc, char **argv)
{
    const char *lang = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--lang=", 7) == 0)
            lang = a + 7;
        else if ((strcmp(a, "--lang") == 0 || strcmp(a, "-l") == 0) && i + 1 < argc)
            lang = argv[++i];
        else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("mailmedic %s\n", mm_version());
            return EXIT_OK;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            i18n_setup(lang);
            usage(stdout);
            return EXIT_OK;
        } else {
            i18n_setup(lang);
            log_warnx(_("unknown option '%s'"), a);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    i18n_setup(lang);
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    for (const command *c = commands; c->name; c++)
        if (strcmp(argv[i], c->name) == 0)
            return c->run(argc - i, argv + i);
    log_warnx(_("unknown command '%s'"), argv[i]);
    usage(stderr);
    return EXIT_USAGE;
}

/* Every command's output is checked once it has returned: a full disk or
 * an I/O error on standard output is an error (cliout.c), never a silent
 * loss with exit status 0. */
int main(int argc, char **argv)
{
    cli_stdout_setup();
    return cli_stdout_close(run(argc, argv));
}
