#ifndef DOORMAN_CCRYPT_SHIM_H
#define DOORMAN_CCRYPT_SHIM_H
// libxcrypt from Debian's libcrypt-dev (pkg-config: libxcrypt).
#include <crypt.h>
#endif
