#ifndef DOORMAN_CPOSTGRES_SHIM_H
#define DOORMAN_CPOSTGRES_SHIM_H
// libpq, from Debian's libpq-dev (pkg-config: libpq).
#include <libpq-fe.h>

// The diagnostic field codes are character-literal macros.
static inline int doorman_pg_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int doorman_pg_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
#endif
