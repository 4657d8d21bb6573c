#pragma once
// What a mode built on `flint serve` (`flint pebble`) changes in it, without a second server:
// the listener's certificate, decorators around the nonce service and the validator, a step
// after the store opens, and one more listener started beside the ACME one. An empty
// ServeHooks is plain `flint serve`.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "ca/ca_files.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "ra/validator.h"
#include "sa/store.h"

namespace flint::cmd {

// What a started listener hook sees: the CA and store `flint serve` runs on (both outlive it).
struct ServeContext {
  const ca::CaMaterial& ca;
  sa::Store& store;
  const core::Clock& clock;
};

// A listener started by a hook; stopped (and destroyed) before the ACME server's own state.
class ExtraListener {
 public:
  virtual ~ExtraListener() = default;
  virtual void Stop() = 0;
};

struct ServeHooks {
  // The ACME listener's certificate chain and key (PEM); empty: the data directory's tls.pem
  // and tls.key.
  std::string tls_cert_chain_pem;
  std::string tls_key_pem;
  // Another path serving the directory ("/dir"); empty: none.
  std::string directory_alias;
  // wfe::WfeOptions' Retry-After seconds.
  int order_retry_after_seconds = 1;
  int authz_retry_after_seconds = 1;
  // wfe::WfeOptions::orders_page_size.
  int orders_page_size = 100;
  // ra::RaOptions::authz_reuse_percent.
  int authz_reuse_percent = 100;
  // Each, when set, wraps the object `flint serve` built and returns what it uses instead.
  std::function<std::unique_ptr<sa::NonceService>(std::unique_ptr<sa::NonceService>)> wrap_nonces;
  std::function<std::unique_ptr<ra::Validator>(std::unique_ptr<ra::Validator>)> wrap_validator;
  // Runs once the store is open, before any listener starts; an error stops start-up.
  std::function<core::Result<void>(sa::Store&, const core::Clock&)> prepare_store;
  // Runs once the ACME listener is up; an error stops start-up.
  std::function<core::Result<std::unique_ptr<ExtraListener>>(const ServeContext&)> start_listener;
};

// `flint serve`'s body (main.cc), given to modes that run it with hooks.
using ServeFunction = int (*)(const config::Config&, const ServeHooks&);

}  // namespace flint::cmd
