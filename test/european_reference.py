#!/usr/bin/env python3
"""Reference European (generalized Black-Scholes-Merton) prices in decimal
arithmetic, for checking ledger.bsm_price and ledger.black76_price
(docs/pricing.md, "Numerics and accuracy"; sql/pricing.sql).

The inputs are taken as the exact binary values of the doubles given (as
the SQL functions see them), and the closed form is evaluated with 120
significant digits:

    d1 = (ln(F/K) + s^2/2) / s,  d2 = d1 - s,  s = sigma sqrt(t),
    F = S e^((r-q)t),  call = e^(-rt) (F Phi(d1) - K Phi(d2)),
    put = e^(-rt) (K Phi(-d2) - F Phi(-d1)).

Phi is the series of Abramowitz and Stegun 26.2.11,
Phi(z) = 1/2 + phi(z) sum_{n>=0} z^(2n+1) / (1 3 5 ... (2n+1)),
which converges for every z (120 digits leave far more than 50 after its
cancellation for |z| <= 10), and beyond |z| = 10 Laplace's continued
fraction for the Mills ratio, A&S 26.2.14, evaluated backwards at a depth
doubled until two depths agree.  It reproduces the 50-digit mpmath value of
sql/pricing.sql's one-hour wing call (6.852195167137274036e-8) to all the
digits given.

    python3 test/european_reference.py put 100.001 100 1 0 0 1.6e-6
    5.0149996844097296325640857165e-15
"""
import sys
from decimal import Decimal as D, getcontext

getcontext().prec = 120
PI = D('3.14159265358979323846264338327950288419716939937510582097494459230781'
       '640628620899862803482534211706798214808651328230664709384460955058223')


def phi(z):
    return (-(z * z) / 2).exp() / (2 * PI).sqrt()


def mills(z):
    """(1 - Phi(z)) / phi(z) for z > 0, A&S 26.2.14."""
    def cf(n):
        t = z
        for m in range(n, 0, -1):
            t = z + m / t
        return 1 / t
    n = 400
    a = cf(n)
    while True:
        n *= 2
        b = cf(n)
        if abs(a - b) < D(10) ** -110 * abs(b):
            return b
        a = b


def Phi(z):
    if z < -10:
        return phi(z) * mills(-z)
    if z > 10:
        return 1 - phi(z) * mills(z)
    s = D(0)
    term = z
    n = 0
    while True:
        s += term
        n += 1
        term = term * z * z / (2 * n + 1)
        if n > z * z and abs(term) < D(10) ** -115 * (abs(s) + 1):
            break
    return D(1) / 2 + phi(z) * s


def bsm(kind, s, k, t, r, q, sigma):
    s, k, t, r, q, sigma = (D(float(x)) for x in (s, k, t, r, q, sigma))
    f = s * ((r - q) * t).exp()
    df = (-r * t).exp()
    sd = sigma * t.sqrt()
    d1 = ((f / k).ln() + sd * sd / 2) / sd
    d2 = d1 - sd
    if kind == 'call':
        return df * (f * Phi(d1) - k * Phi(d2))
    return df * (k * Phi(-d2) - f * Phi(-d1))


if __name__ == '__main__':
    if len(sys.argv) != 8 or sys.argv[1] not in ('call', 'put'):
        sys.exit('usage: european_reference.py call|put s k t r q sigma')
    print(format(bsm(sys.argv[1], *sys.argv[2:]), '.28e'))
