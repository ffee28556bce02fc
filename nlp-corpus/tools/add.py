import sys
lang, slug, ch, st, n = sys.argv[1:6]
s = "".join(sys.argv[6:]).replace(" ", "")
assert len(s) == int(n), (slug, len(s), n)
open(f"labels/{lang}/{slug}.txt", "a").write(f"{ch}:{st}: {s}\n")
