#pragma once
// Pebble's management API (Pebble 2.4), served by `flint pebble` on managementListenAddress over
// HTTPS with the listener's certificate:
//   GET /roots/N              root of hierarchy N (0: the default; 1..: PEBBLE_ALTERNATE_ROOTS)
//   GET /root-keys/N          its private key (PEM)
//   GET /intermediates/N      the issuing intermediate's certificate under root N
//   GET /intermediate-keys/N  the issuing intermediate's key (one key for every hierarchy)
//   GET /cert-status-by-serial/SERIAL  a certificate's PEM and status, as JSON, byte for byte
//                             in Pebble's layout (hex serial, any case, leading zeros allowed)
// The four PEM resources carry a Link rel="alternate" to the same resource of every other
// hierarchy. An unknown N or serial answers 404, a serial that is not hex 400: with Pebble's
// status codes, and a problem document as body (Pebble sends none).

#include <memory>
#include <string>

#include "cmd/serve_hooks.h"
#include "core/result.h"
#include "wfe/http_types.h"

namespace flint::cmd {

// Answers one management request from `ctx`'s CA files and store. Thread-safe (blocking: the
// store, the key files).
wfe::HttpResponse HandleManagement(const ServeContext& ctx, const wfe::HttpRequest& request,
                                   const std::string& fallback_host);

// Pebble's cert-status-by-serial body for `cert` (tests compare it with Pebble's).
std::string CertStatusJson(const core::Certificate& cert);

// Starts the management listener on `listen` (HOST:PORT) with `tls_chain_pem`/`tls_key_pem`.
core::Result<std::unique_ptr<ExtraListener>> StartManagementListener(
    const ServeContext& ctx, const std::string& listen, const std::string& tls_chain_pem,
    const std::string& tls_key_pem);

}  // namespace flint::cmd
