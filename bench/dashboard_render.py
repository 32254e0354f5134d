"""Draws the panels of deploy/grafana/stepd-dashboard.json as an HTML page
of SVG line charts, from a Prometheus's query_range answers: the dashboard's
own queries ($instance as .*, $__rate_interval as RATE), evaluated by the
Prometheus at BASE over the last SECONDS. Used by bench/dashboard.sh, which
screenshots the page with headless chromium. Usage:
    python3 bench/dashboard_render.py BASE SECONDS RATE > page.html
"""
import html
import json
import sys
import time
import urllib.parse
import urllib.request

base, seconds, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3]
dash = json.load(open("deploy/grafana/stepd-dashboard.json"))
end = time.time()
start = end - seconds
step = max(1, seconds // 300)
colors = ["#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9", "#705da0", "#508642", "#cca300"]


def query(expr):
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{base}/api/v1/query_range?{q}") as r:
        ans = json.load(r)
    if ans["status"] != "success":
        raise SystemExit(f"{expr}: {ans}")
    return ans["data"]["result"]


def label(fmt, metric):
    out = fmt
    for k, v in metric.items():
        out = out.replace("{{" + k + "}}", v)
    return out


def fmt_value(v, unit):
    if unit == "s":
        for div, suffix in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(v) >= div or div == 1e-6:
                return f"{v / div:.3g} {suffix}"
    if unit == "bytes":
        for div, suffix in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"), (1, "B")):
            if abs(v) >= div or div == 1:
                return f"{v / div:.3g} {suffix}"
    if abs(v) >= 1000:
        return f"{v / 1000:.3g}k"
    return f"{v:.3g}"


def panel(p):
    series = []
    for t in p["targets"]:
        expr = t["expr"].replace("$instance", ".*").replace("$__rate_interval", rate)
        for r in query(expr):
            pts = [(float(ts), float(v)) for ts, v in r["values"] if v not in ("NaN", "+Inf", "-Inf")]
            if pts:
                series.append((label(t.get("legendFormat", ""), r["metric"]) or expr, pts))
    w, h, left, top, bottom = 640, 250, 70, 30, 60
    pw, ph = w - left - 10, h - top - bottom
    unit = p["fieldConfig"]["defaults"].get("unit", "short")
    ymax = max([v for _, pts in series for _, v in pts] + [0]) or 1
    ymax *= 1.1
    x = lambda ts: left + (ts - start) / (end - start) * pw
    y = lambda v: top + ph - v / ymax * ph
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="#181b1f"/>',
           f'<text x="8" y="18" fill="#ccccdc" font-size="13">{html.escape(p["title"])}</text>']
    for i in range(5):
        v = ymax * i / 4
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#2c3235"/>')
        out.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" fill="#9fa7b3" text-anchor="end">{fmt_value(v, unit)}</text>')
    for i in range(0, seconds + 1, 30):
        ts = start + i
        out.append(f'<text x="{x(ts):.1f}" y="{top + ph + 14}" fill="#9fa7b3" text-anchor="middle">{time.strftime("%H:%M:%S", time.gmtime(ts))}</text>')
    if not series:
        out.append(f'<text x="{left + pw / 2}" y="{top + ph / 2}" fill="#9fa7b3" text-anchor="middle">No data</text>')
    for i, (name, pts) in enumerate(series[:10]):
        c = colors[i % len(colors)]
        d = " ".join(f"{x(ts):.1f},{y(v):.1f}" for ts, v in pts)
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{d}"/>')
        lx, ly = 8 + (i % 4) * 155, top + ph + 30 + (i // 4) * 13
        out.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="3" fill="{c}"/>')
        out.append(f'<text x="{lx + 14}" y="{ly - 3}" fill="#ccccdc">{html.escape(name[:24])}</text>')
    out.append("</svg>")
    return "".join(out)


print('<!doctype html><html><body style="margin:0;background:#111217;color:#ccccdc;font-family:sans-serif">')
print(f'<div style="padding:8px 12px;font-size:16px">{html.escape(dash["title"])} — deploy/grafana/stepd-dashboard.json queries, '
      f'from a real Prometheus scraping one node every second during a load run '
      f'(drawn by bench/dashboard_render.py; Grafana is not packaged here)</div>')
print('<div style="display:grid;grid-template-columns:640px 640px;gap:8px;padding:8px">')
for p in dash["panels"]:
    print(panel(p))
print("</div></body></html>")
