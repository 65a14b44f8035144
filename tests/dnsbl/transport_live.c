/*
 * transport_live.c - mm_transport_lookup() against Unbound serving
 * tests/dnsbl/zones/transport.example.zone: good, broken, multiple and
 * absent records, and a domain whose server never answers (temperror).
 */
#include <stdio.h>
#include <string.h>

#include <mailmedic/transport.h>

typedef struct tcase {
    const char *domain;
    const char *found[3]; /* mta_sts, tlsrpt, bimi */
    int valid[3];         /* 1 valid, 0 invalid, -1 no record */
    const char *lint[3];  /* a lint id wanted on the record, NULL = none checked */
} tcase;

static const tcase tcases[] = {
    {"good.transport.example", {"found", "found", "found"}, {1, 1, 1}, {NULL, NULL, NULL}},
    {"broken.transport.example",
     {"found", "found", "found"},
     {0, 0, 0},
     {"bad_id", "rua_scheme", "logo_not_https"}},
    {"multi.transport.example",
     {"multiple", "none", "found"},
     {-1, -1, 1},
     {NULL, NULL, "declined"}},
    {"none.transport.example", {"none", "none", "none"}, {-1, -1, -1}, {NULL, NULL, NULL}},
    {"nxdomain.transport.example", {"none", "none", "none"}, {-1, -1, -1}, {NULL, NULL, NULL}},
    {"x.slow.example", {"temperror", "temperror", "temperror"}, {-1, -1, -1}, {NULL, NULL, NULL}},
};

typedef struct tgot {
    const tcase *c;
    int called;
    int *failures;
} tgot;

static int has_lint(const mm_transport_record *r, const char *id)
{
    for (size_t i = 0; i < r->nlints; i++)
        if (strcmp(r->lints[i].id, id) == 0)
            return 1;
    return 0;
}

static void on_transport(void *arg, const mm_transport_result *r)
{
    tgot *g = arg;
    g->called++;
    for (int k = 0; k < MM_TRANSPORT_KIND_MAX_; k++) {
        const mm_transport_item *it = &r->items[k];
        const char *kind = mm_transport_kind_name((mm_transport_kind)k);
        const char *f = mm_transport_found_name(it->found);
        if (strcmp(f, g->c->found[k]) != 0) {
            printf("FAIL %s %s: got %s, want %s\n", g->c->domain, kind, f, g->c->found[k]);
            (*g->failures)++;
        }
        int valid = it->record ? it->record->valid : -1;
        if (valid != g->c->valid[k]) {
            printf("FAIL %s %s: got valid %d, want %d\n", g->c->domain, kind, valid,
                   g->c->valid[k]);
            (*g->failures)++;
        }
        if (g->c->lint[k] && (!it->record || !has_lint(it->record, g->c->lint[k]))) {
            printf("FAIL %s %s: want lint %s\n", g->c->domain, kind, g->c->lint[k]);
            (*g->failures)++;
        }
    }
    const mm_transport_record *rpt = r->items[MM_TRANSPORT_TLSRPT].record;
    if (strcmp(g->c->domain, "good.transport.example") == 0 &&
        (!rpt || rpt->nrua != 2 || strcmp(rpt->rua[1], "https://report.good.example/tlsrpt") != 0 ||
         strcmp(r->items[MM_TRANSPORT_MTA_STS].record->id, "20261129T010101") != 0 ||
         r->items[MM_TRANSPORT_MTA_STS].ntxt != 2)) {
        printf("FAIL good.transport.example: rua/id/evidence not as published\n");
        (*g->failures)++;
    }
}

void transport_live(mm_dns *d, int *failures);

void transport_live(mm_dns *d, int *failures)
{
    mm_transport *t = NULL;
    if (mm_transport_create(d, &t) != MM_OK) {
        printf("FAIL mm_transport_create\n");
        (*failures)++;
        return;
    }
    size_t n = sizeof tcases / sizeof tcases[0];
    tgot g[sizeof tcases / sizeof tcases[0]];
    for (size_t i = 0; i < n; i++) {
        g[i] = (tgot){&tcases[i], 0, failures};
        if (mm_transport_lookup(t, tcases[i].domain, on_transport, &g[i]) != MM_OK) {
            printf("FAIL mm_transport_lookup(%s)\n", tcases[i].domain);
            (*failures)++;
        }
    }
    mm_dns_run(d);
    for (size_t i = 0; i < n; i++)
        if (g[i].called != 1) {
            printf("FAIL %s: callback called %d times\n", tcases[i].domain, g[i].called);
            (*failures)++;
        }
    printf("transport: %zu domains checked\n", n);
    mm_transport_free(t);
}
