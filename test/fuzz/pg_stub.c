/*-------------------------------------------------------------------------
 *
 * pg_stub.c
 *		Stand-ins for the few server symbols crypto.c can reach, so that
 *		the fuzz targets link crypto.c without a server.
 *
 * Only the SHA-256 half of crypto.c calls ereport, and only when OpenSSL
 * fails; the signature half never does.  Any ereport reaching errfinish
 * is therefore a finding: it aborts, which libFuzzer reports as a crash.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdio.h>
#include <stdlib.h>

/* port.h maps fprintf to libpgport's pg_fprintf, which is not linked */
#undef fprintf

bool
errstart(int elevel, const char *domain)
{
	return elevel >= ERROR;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	fprintf(stderr, "ereport(ERROR) reached at %s:%d (%s)\n",
			filename, lineno, funcname);
	abort();
}

int
errcode(int sqlerrcode)
{
	return 0;
}

int
errmsg(const char *fmt,...)
{
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	return 0;
}

void
ExceptionalCondition(const char *conditionName, const char *errorType,
					 const char *fileName, int lineNumber)
{
	fprintf(stderr, "%s(\"%s\") at %s:%d\n", errorType, conditionName,
			fileName, lineNumber);
	abort();
}

size_t
strlcpy(char *dst, const char *src, size_t siz)
{
	size_t		n = strlen(src);

	if (siz > 0)
	{
		size_t		c = (n >= siz) ? siz - 1 : n;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}
