/*-------------------------------------------------------------------------
 *
 * nobind.c
 *	  bindtextdomain() without glibc's _nl_state_lock, for servers run under
 *	  AddressSanitizer by LEDGER_ASAN=1 make test (test/lib.sh).
 *
 * Debian's postgres is not built with ASan, so the runtime is preloaded.
 * It then initializes itself on the first malloc(), which happens inside
 * libgpg-error's constructor, inside bindtextdomain(), with glibc's
 * _nl_state_lock held for writing; the runtime's own dlerror() takes and
 * releases that lock again (the same thread: glibc refuses the read lock
 * and the unlock drops the writer's), and the server's own bindtextdomain()
 * later waits on the broken lock forever.  Preloaded after the runtime,
 * these two do nothing: the tests run with English messages (LC_MESSAGES C),
 * for which no message catalog is ever opened.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>

char	   *bindtextdomain(const char *domainname, const char *dirname);
char	   *bind_textdomain_codeset(const char *domainname, const char *codeset);

/* bindtextdomain(): the directory asked for, nothing bound */
char *
bindtextdomain(const char *domainname, const char *dirname)
{
	(void) domainname;
	return (char *) (dirname ? dirname : "/usr/share/locale");
}

/* bind_textdomain_codeset(): the code set asked for, nothing bound */
char *
bind_textdomain_codeset(const char *domainname, const char *codeset)
{
	(void) domainname;
	return (char *) codeset;
}
