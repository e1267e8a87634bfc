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
#include <openssl/x509.h>

// These are macros over SSL_CTX_ctrl / SSL_ctrl and do not import into Swift.

/// SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION): refuse TLS 1.0 and 1.1.
static inline int doorman_ssl_ctx_require_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/// SSL_set_tlsext_host_name: the server name sent in the ClientHello (SNI).
static inline int doorman_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
#endif
