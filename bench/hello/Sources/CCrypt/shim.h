#ifndef HELLO_CCRYPT_SHIM_H
#define HELLO_CCRYPT_SHIM_H
// libxcrypt (Debian's libcrypt-dev), the bcrypt Doorman calls.
#include <crypt.h>
#endif
