"""dnsbench_zone.py - the zone and look-up list of bench/dnsbench.sh.

    python3 dnsbench_zone.py ZONE_FILE LOOKUP_FILE DOMAINS LOOKUPS

Zone "bench." with DOMAINS names dN.bench, in fixed shares (seeded, so runs
compare): 55% MX to a host of their own (A, a third also AAAA), 20% MX to one
of 50 shared provider hosts (as real lists are dominated by a few providers),
10% A only (implicit MX), 3% null MX, 2% no mail at all (TXT only), 10% not in
the zone (NXDOMAIN).  The look-up list names every domain once, then repeats
picked at random up to LOOKUPS, shuffled.
"""
import random
import sys


def main():
    zone_file, list_file, ndom, nlook = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rnd = random.Random(20261129)
    out = ["$ORIGIN bench.", "$TTL 3600",
           "@ SOA ns.bench. hostmaster.bench. 1 3600 600 86400 300", "@ NS ns.bench.",
           "ns A 127.0.0.1"]
    for p in range(50):
        out.append("mx%d.provider A 93.184.%d.%d" % (p, 100 + p // 250, p % 250 + 1))
    names = []
    for i in range(ndom):
        name = "d%d" % i
        names.append(name + ".bench")
        r = rnd.random()
        if r < 0.55:
            out.append("%s MX 10 mx.%s.bench." % (name, name))
            out.append("mx.%s A 93.%d.%d.%d" % (name, 1 + i // 65536, (i // 256) % 256, i % 256))
            if i % 3 == 0:
                out.append("mx.%s AAAA 2606:2800:%x:%x::25" % (name, i >> 16, i & 0xFFFF))
        elif r < 0.75:
            out.append("%s MX 10 mx%d.provider.bench." % (name, rnd.randrange(50)))
        elif r < 0.85:
            out.append("%s A 93.%d.%d.%d" % (name, 101 + i // 65536, (i // 256) % 256, i % 256))
        elif r < 0.88:
            out.append("%s MX 0 ." % name)
        elif r < 0.90:
            out.append("%s TXT \"no mail\"" % name)
        # else: not in the zone at all
    with open(zone_file, "w") as f:
        f.write("\n".join(out) + "\n")
    look = names + [rnd.choice(names) for _ in range(max(0, nlook - ndom))]
    rnd.shuffle(look)
    with open(list_file, "w") as f:
        f.write("\n".join(look[:nlook]) + "\n")


if __name__ == "__main__":
    main()
