#!/usr/bin/env python3
"""Bounds of a single-boundary American put, in 50-digit arithmetic (mpmath).

Written for sql/pricing_american_fd.sql (quant review of 2026-12-06), apart
from src/pricing_american.c: above, the perpetual put (McKean 1965, Merton
1973), V = (K - B)(S/B)^-g, B = g K / (g + 1), g the positive root of
sigma^2/2 g (g + 1) - (r - q) g - r = 0, which no finite maturity exceeds;
below, the value of the rule "exercise when S first falls to B, otherwise
hold to expiry": the rebate K - B at the first passage to B before T plus a
down-and-out put with barrier B (Haug, The Complete Guide to Option Pricing
Formulas, 2007, 4.17.1 and 4.17.3).  A call is the put of the symmetry
C(S, K, r, q) = P(K, S, q, r).  Where the two agree to 1e-9, either is the
American value to that accuracy.

    python3 test/american/perpetual_bounds.py put|call S K T r q sigma
"""
import sys
from mpmath import mp, mpf, sqrt, log, exp, ncdf

mp.dps = 50


def bounds(s, k, t, r, q, sig):
    v2 = sig * sig
    mu = r - q - v2 / 2
    nu = sqrt(mu * mu + 2 * r * v2)
    g = (mu + nu) / v2
    b = g * k / (g + 1)
    h = log(b / s)
    upper = (k - b) * exp(g * h)
    sst = sig * sqrt(t)
    rebate = (k - b) * (exp(g * h) * ncdf((h + nu * t) / sst) +
                        exp((mu - nu) / v2 * h) * ncdf((h - nu * t) / sst))
    m = mu / v2
    x1 = log(s / k) / sst + (1 + m) * sst
    x2 = -h / sst + (1 + m) * sst
    y1 = (2 * h - log(k / s)) / sst + (1 + m) * sst
    y2 = h / sst + (1 + m) * sst
    p1 = exp(2 * (m + 1) * h)
    p2 = exp(2 * m * h)
    dfr = exp(-r * t)
    dfq = exp(-q * t)
    pa = k * dfr * ncdf(-x1 + sst) - s * dfq * ncdf(-x1)
    pb = k * dfr * ncdf(-x2 + sst) - s * dfq * ncdf(-x2)
    pc = k * dfr * p2 * ncdf(y1 - sst) - s * dfq * p1 * ncdf(y1)
    pd = k * dfr * p2 * ncdf(y2 - sst) - s * dfq * p1 * ncdf(y2)
    return rebate + max(pa - pb + pc - pd, 0), upper


if __name__ == "__main__":
    kind = sys.argv[1]
    s, k, t, r, q, sig = (mpf(a) for a in sys.argv[2:8])
    if kind == "call":
        s, k, r, q = k, s, q, r
    lo, up = bounds(s, k, t, r, q, sig)
    print(mp.nstr(lo, 15), mp.nstr(up, 15), mp.nstr(up - lo, 3))
