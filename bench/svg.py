# bench/svg.py: a small line-chart writer for the sweeps in bench/results (no plotting library
# needed): log or linear axes, one line per series with a legend, and a caption line.
import math
from xml.sax.saxutils import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
W, H = 720, 420
LEFT, RIGHT, TOP, BOTTOM = 80, 190, 40, 70


def _ticks(lo, hi, log):
    """Tick values covering [lo, hi]: powers of ten (and 2x, 5x when few) on a log axis."""
    if log:
        first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        steps = [1, 2, 5] if last - first <= 2 else [1]
        return [m * 10 ** e for e in range(first, last + 1) for m in steps if lo <= m * 10 ** e <= hi] or [lo, hi]
    span = hi - lo or abs(hi) or 1
    step = 10 ** math.floor(math.log10(span / 5))
    for m in (1, 2, 5, 10):
        if span / (step * m) <= 6:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def _label(v):
    if v == 0:
        return "0"
    if abs(v) >= 1e6:
        return "%gM" % (v / 1e6)
    if abs(v) >= 1e4 or (abs(v) >= 1e3 and v != int(v)):
        return "%gk" % (v / 1e3)
    return "%d" % v if v == int(v) else "%g" % v


class _Axis:
    def __init__(self, values, log, pixels, flip):
        vals = [v for v in values if v > 0] if log else list(values)
        self.log, self.pixels, self.flip = log, pixels, flip
        lo, hi = min(vals), max(vals)
        if log:
            lo, hi = 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))
        else:
            lo = min(lo, 0)
            hi = hi * 1.08 if hi > 0 else 1
        self.lo, self.hi = lo, hi

    def __call__(self, v):
        f = self._t(v)
        a, b = self._t(self.lo), self._t(self.hi)
        pos = (f - a) / ((b - a) or 1)
        return self.pixels[1] - pos * (self.pixels[1] - self.pixels[0]) if self.flip else \
            self.pixels[0] + pos * (self.pixels[1] - self.pixels[0])

    def _t(self, v):
        return math.log10(max(v, 1e-12)) if self.log else v


def line_chart(path, title, xlabel, ylabel, series, caption, logx=False, logy=False):
    """series: list of (name, [(x, y), ...]). Writes an SVG file at path."""
    xs = [x for _, pts in series for x, _ in pts]
    ys = [y for _, pts in series for _, y in pts]
    if not xs:
        return False
    fx = _Axis(xs, logx, (LEFT, W - RIGHT), False)
    fy = _Axis(ys, logy, (TOP, H - BOTTOM), True)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (W, H),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>' % (LEFT, escape(title))]
    for t in _ticks(fy.lo, fy.hi, logy):
        y = fy(t)
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (LEFT, W - RIGHT, y, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (LEFT - 6, y + 4, _label(t)))
    for t in sorted(set(xs)) if logx else _ticks(fx.lo, fx.hi, False):
        x = fx(t)
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>' % (x, x, TOP, H - BOTTOM))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x, H - BOTTOM + 16, _label(t)))
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>'
               % (LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM))
    out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>'
               % ((LEFT + W - RIGHT) / 2, H - BOTTOM + 34, escape(xlabel)))
    out.append('<text transform="translate(18,%d) rotate(-90)" text-anchor="middle">%s</text>'
               % ((TOP + H - BOTTOM) / 2, escape(ylabel)))
    for i, (name, pts) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        pts = sorted(pts)
        path_d = " ".join("%s%.1f,%.1f" % ("M" if j == 0 else "L", fx(x), fy(y)) for j, (x, y) in enumerate(pts))
        out.append('<path d="%s" fill="none" stroke="%s" stroke-width="2"/>' % (path_d, colour))
        for x, y in pts:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (fx(x), fy(y), colour))
        ly = TOP + 14 + 18 * i
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/>'
                   % (W - RIGHT + 12, W - RIGHT + 32, ly - 4, ly - 4, colour))
        out.append('<text x="%d" y="%d">%s</text>' % (W - RIGHT + 36, ly, escape(name)))
    out.append('<text x="%d" y="%d" font-size="11" fill="#555">%s</text>' % (LEFT, H - 12, escape(caption)))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True
