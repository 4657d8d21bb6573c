#include "perspective/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <string>

#include "ca/openssl_util.h"

namespace flint::perspective {

namespace ssl = boost::asio::ssl;

namespace {

core::Result<std::unique_ptr<ssl::context>> Build(const TlsIdentity& id, ssl::context::method m,
                                                  int purpose) {
  auto ctx = std::make_unique<ssl::context>(m);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1) {
    return ca::OpenSslError("perspective TLS version");
  }
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(id.cert_pem), ec);
  if (ec) return core::Err(core::ErrorType::kInternal, "perspective TLS certificate: " + ec.message());
  ctx->use_private_key(boost::asio::buffer(id.key_pem), ssl::context::pem, ec);
  if (ec) return core::Err(core::ErrorType::kInternal, "perspective TLS key: " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return core::Err(core::ErrorType::kInternal, "perspective TLS key does not match certificate");
  }
  // The perspective CA alone: a store with no default paths.
  FLINT_ASSIGN_OR_RETURN(std::vector<ca::UniqueX509> anchors,
                         ca::ParsePemCertificates(id.trust_pem));
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) return ca::OpenSslError("X509_STORE_new");
  for (const ca::UniqueX509& a : anchors) {
    if (X509_STORE_add_cert(store, a.get()) != 1) {
      X509_STORE_free(store);
      return ca::OpenSslError("perspective trust anchor");
    }
  }
  SSL_CTX_set_cert_store(native, store);  // takes ownership
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  if (SSL_CTX_set_purpose(native, purpose) != 1) return ca::OpenSslError("perspective purpose");
  return ctx;
}

}  // namespace

core::Result<std::unique_ptr<ssl::context>> AgentTlsContext(const TlsIdentity& id) {
  FLINT_ASSIGN_OR_RETURN(auto ctx, Build(id, ssl::context::tls_server, X509_PURPOSE_SSL_CLIENT));
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx->native_handle());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (X509_VERIFY_PARAM_set1_host(param, kCaClientName, 0) != 1) {
    return ca::OpenSslError("perspective client name");
  }
  return ctx;
}

core::Result<std::unique_ptr<ssl::context>> CaClientTlsContext(const TlsIdentity& id) {
  return Build(id, ssl::context::tls_client, X509_PURPOSE_SSL_SERVER);
}

bool ExpectPeerName(void* ssl_handle, std::string_view name) {
  SSL* s = static_cast<SSL*>(ssl_handle);
  const std::string n(name);
  SSL_set_hostflags(s, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const bool ok = SSL_set1_host(s, n.c_str()) == 1 && SSL_set_tlsext_host_name(s, n.c_str()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace flint::perspective
