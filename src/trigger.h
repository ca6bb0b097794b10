/*-------------------------------------------------------------------------
 *
 * trigger.h
 *		The row trigger of ledger tables.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_TRIGGER_H
#define LEDGER_TRIGGER_H

#include "commands/trigger.h"
#include "utils/rel.h"

/* First enabled BEFORE INSERT row trigger firing after self, or NULL. */
extern Trigger *ledger_next_before_insert_trigger(Relation rel, Trigger *self);

#endif							/* LEDGER_TRIGGER_H */
