#ifndef DOORMAN_CHIREDIS_SHIM_H
#define DOORMAN_CHIREDIS_SHIM_H
// hiredis 0.14 from Debian's libhiredis-dev (pkg-config: hiredis).
#include <hiredis/hiredis.h>
#include <sys/time.h>

// The reply-type macros are plain integers and import, but give them names
// that read well at the call site.
static inline int doorman_redis_reply_string(void)  { return REDIS_REPLY_STRING; }
static inline int doorman_redis_reply_array(void)   { return REDIS_REPLY_ARRAY; }
static inline int doorman_redis_reply_integer(void) { return REDIS_REPLY_INTEGER; }
static inline int doorman_redis_reply_nil(void)     { return REDIS_REPLY_NIL; }
static inline int doorman_redis_reply_status(void)  { return REDIS_REPLY_STATUS; }
static inline int doorman_redis_reply_error(void)   { return REDIS_REPLY_ERROR; }
#endif
