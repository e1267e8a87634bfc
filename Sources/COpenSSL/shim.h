#ifndef DOORMAN_COPENSSL_SHIM_H
#define DOORMAN_COPENSSL_SHIM_H
// OpenSSL 3 from Debian's libssl-dev (pkg-config: openssl).
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif
