/*
 * lint.c - advice on a domain's SPF setup, on top of the evaluator: a walk
 * of the whole include/redirect tree (every branch, nothing matched) for the
 * lookup count and the records, then one check_host() for the IP the user
 * sends from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf_int.h"

#define N_(s) s

struct mm_spf_lint {
    mm_spf_lint_item *items;
    size_t n, cap;
    mm_spf_eval *tree;
    mm_spf_eval *check;
};

static const struct {
    const char *name;
    const char *message;
} codes[MM_SPF_LINT_CODE_MAX_] = {
    {"no_record", N_("the domain publishes no SPF record")},
    {"multiple", N_("the domain publishes more than one SPF record, which is an error")},
    {"syntax", N_("an SPF record has a syntax error, so receivers get permerror")},
    {"pass_all", N_("+all lets every server in the world send as this domain")},
    {"neutral_all", N_("?all makes the record say nothing about other servers")},
    {"too_many_lookups",
     N_("the record needs more than 10 DNS lookups, so receivers get permerror")},
    {"ptr", N_("the ptr mechanism is deprecated and slow; list the addresses instead")},
    {"not_covered", N_("the record does not authorise the IP address you send from")},
    {"include_missing", N_("an include or redirect names a domain without an SPF record")},
    {"temperror", N_("a DNS look-up failed; the check is incomplete")},
};

const char *mm_spf_lint_code_name(mm_spf_lint_code c)
{
    return (unsigned)c < MM_SPF_LINT_CODE_MAX_ ? codes[c].name : "unknown";
}

const char *mm_spf_lint_code_message(mm_spf_lint_code c)
{
    return (unsigned)c < MM_SPF_LINT_CODE_MAX_ ? codes[c].message : "unknown";
}

/* Strings in items point into the eval trees, which the lint owns. */
static mm_status_t add(mm_spf_lint *l, mm_spf_lint_code c, const char *domain, const char *detail)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        mm_spf_lint_item *it = realloc(l->items, cap * sizeof *it);
        if (!it)
            return MM_ENOMEM;
        l->items = it;
        l->cap = cap;
    }
    mm_spf_lint_item *it = &l->items[l->n++];
    it->code = c;
    it->fail =
        !(c == MM_SPF_LINT_NEUTRAL_ALL || c == MM_SPF_LINT_PTR || c == MM_SPF_LINT_TEMPERROR);
    it->domain = domain;
    it->detail = detail;
    return MM_OK;
}

/* Items about one record of the tree. */
static mm_status_t lint_node(mm_spf_lint *l, const mm_spf_node *n)
{
    mm_status_t st = MM_OK;
    if (!n->record) {
        if (n->result == MM_SPF_TEMPERROR)
            return add(l, MM_SPF_LINT_TEMPERROR, n->domain, mm_dns_result_name(n->dns));
        if (n->result == MM_SPF_PERMERROR && n->dns != MM_DNS_ANSWER)
            return MM_OK; /* cut by the walk's depth bound: a loop, counted as lookups */
        if (n->parent == (size_t)-1)
            return add(l,
                       n->result == MM_SPF_PERMERROR ? MM_SPF_LINT_MULTIPLE : MM_SPF_LINT_NO_RECORD,
                       n->domain, NULL);
        return n->result == MM_SPF_NONE || n->result == MM_SPF_PERMERROR
                   ? add(l,
                         n->result == MM_SPF_NONE ? MM_SPF_LINT_INCLUDE_MISSING
                                                  : MM_SPF_LINT_MULTIPLE,
                         n->domain, n->via)
                   : MM_OK;
    }
    mm_spf_record *rec = NULL;
    if (mm_spf_record_parse(n->record, strlen(n->record), &rec) != MM_OK)
        return MM_OK;
    if (rec->error)
        st = add(l, MM_SPF_LINT_SYNTAX, n->domain, n->record);
    for (size_t i = 0; i < rec->nterms && st == MM_OK; i++) {
        const mm_spf_term *t = &rec->terms[i];
        if (t->kind == MM_SPF_T_ALL && t->qualifier == '+')
            st = add(l, MM_SPF_LINT_PASS_ALL, n->domain, n->record);
        else if (t->kind == MM_SPF_T_ALL && t->qualifier == '?')
            st = add(l, MM_SPF_LINT_NEUTRAL_ALL, n->domain, n->record);
        else if (t->kind == MM_SPF_T_PTR)
            st = add(l, MM_SPF_LINT_PTR, n->domain, n->record);
    }
    mm_spf_record_free(rec);
    return st;
}

mm_status_t mm_spf_lint_domain(mm_spf *s, const char *domain, const char *ip, mm_spf_lint **out)
{
    if (!s || !domain || !out)
        return MM_EINVAL;
    *out = NULL;
    mm_spf_lint *l = calloc(1, sizeof *l);
    if (!l)
        return MM_ENOMEM;
    size_t n = strlen(domain) + 12;
    char *sender = malloc(n);
    mm_status_t st = MM_ENOMEM;
    if (!sender)
        goto done;
    snprintf(sender, n, "postmaster@%s", domain);
    /* the walk needs some address for %{i}; a documentation address matches nothing real */
    st = mm_spf_eval_run(s, ip ? ip : "192.0.2.0", domain, sender, domain, 1, &l->tree);
    for (size_t i = 0; st == MM_OK && i < mm_spf_eval_nnodes(l->tree); i++)
        st = lint_node(l, mm_spf_eval_node(l->tree, i));
    if (st == MM_OK && mm_spf_eval_lookups(l->tree) > MM_SPF_MAX_LOOKUPS)
        st = add(l, MM_SPF_LINT_TOO_MANY_LOOKUPS, domain, NULL);
    if (st == MM_OK && ip && mm_spf_eval_node(l->tree, 0)->record) {
        st = mm_spf_eval_run(s, ip, domain, sender, domain, 0, &l->check);
        mm_spf_result r = mm_spf_eval_result(l->check);
        if (st == MM_OK && r != MM_SPF_PASS)
            st = add(l, r == MM_SPF_TEMPERROR ? MM_SPF_LINT_TEMPERROR : MM_SPF_LINT_NOT_COVERED,
                     domain, mm_spf_result_name(r));
    }
done:
    free(sender);
    if (st != MM_OK) {
        mm_spf_lint_free(l);
        return st;
    }
    *out = l;
    return MM_OK;
}

void mm_spf_lint_free(mm_spf_lint *l)
{
    if (!l)
        return;
    mm_spf_eval_free(l->tree);
    mm_spf_eval_free(l->check);
    free(l->items);
    free(l);
}

size_t mm_spf_lint_nitems(const mm_spf_lint *l)
{
    return l ? l->n : 0;
}

const mm_spf_lint_item *mm_spf_lint_item_at(const mm_spf_lint *l, size_t i)
{
    return l && i < l->n ? &l->items[i] : NULL;
}

unsigned mm_spf_lint_lookups(const mm_spf_lint *l)
{
    return l ? mm_spf_eval_lookups(l->tree) : 0;
}

const mm_spf_eval *mm_spf_lint_tree(const mm_spf_lint *l)
{
    return l ? l->tree : NULL;
}

const mm_spf_eval *mm_spf_lint_check(const mm_spf_lint *l)
{
    return l ? l->check : NULL;
}
