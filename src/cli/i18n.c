/*
 * i18n.c - choose the language of messages.
 *
 * glibc ignores message catalogs while LC_MESSAGES is the "C" locale, and a
 * fresh machine often has no zh_CN locale generated.  So when the wanted
 * language is not the locale's own, we switch to C.UTF-8 (built into glibc
 * 2.35+) and name the language in LANGUAGE, which glibc honours under any
 * locale but plain "C".  Older glibc has no built-in C.UTF-8; then any
 * common UTF-8 locale that exists will do, since LANGUAGE, not the locale,
 * picks the catalog.  Catalogs are looked up in MAILMEDIC_LOCALEDIR, the
 * installed locale directory, or the build tree (for running uninstalled).
 */
#include "cli.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *env_lang(void)
{
    const char *vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < 4; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "zh", 2) == 0 ? "zh" : "en";
    }
    return "en";
}

static const char *locale_dir(void)
{
    const char *env = getenv("MAILMEDIC_LOCALEDIR");
    if (env && *env)
        return env;
    struct stat sb;
    if (stat(MM_LOCALEDIR "/zh_CN/LC_MESSAGES/mailmedic.mo", &sb) == 0)
        return MM_LOCALEDIR;
    return MM_BUILD_LOCALEDIR;
}

/* Switch category to a UTF-8 locale other than plain "C"; false if none exists. */
static bool set_utf8_locale(int category)
{
    static const char *const names[] = {"C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (setlocale(category, names[i]))
            return true;
    return false;
}

const char *i18n_setup(const char *lang)
{
    setlocale(LC_ALL, "");
    const char *want = lang ? (strncmp(lang, "zh", 2) == 0 ? "zh" : "en") : env_lang();
    const char *cur = setlocale(LC_MESSAGES, NULL);
    bool c_locale = !cur || strcmp(cur, "C") == 0 || strcmp(cur, "POSIX") == 0;
    bool zh_locale = cur && strncmp(cur, "zh", 2) == 0;
    if (lang || (strcmp(want, "zh") == 0 && !zh_locale)) {
        if (c_locale || (strcmp(want, "zh") == 0 && !zh_locale)) {
            set_utf8_locale(LC_MESSAGES);
            if (c_locale)
                set_utf8_locale(LC_CTYPE);
        }
        setenv("LANGUAGE", strcmp(want, "zh") == 0 ? "zh_CN" : "en", 1);
    }
    bindtextdomain("mailmedic", locale_dir());
    bind_textdomain_codeset("mailmedic", "UTF-8");
    return want;
}
