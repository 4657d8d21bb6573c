#include <boost/asio/steady_timer.hpp>

#include "cmd/pebble.h"

#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cmd/pebble_management.h"
#include "config/pebble_config.h"

namespace flint::cmd {

namespace {

std::optional<std::string> ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory for this process's CA and store: Pebble keeps nothing across starts. The
// store stays the same SQLite store `flint serve` uses (with its checks and durability), in a
// directory removed at exit, rather than a second, in-memory backend.
std::optional<std::string> MakeTempDataDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/flint-pebble-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return std::nullopt;
  return pattern;
}

}  // namespace

RejectingNonceService::RejectingNonceService(std::unique_ptr<sa::NonceService> inner, int percent,
                                             core::Random& random)
    : inner_(std::move(inner)), percent_(percent), random_(random) {}

std::string RejectingNonceService::Issue() { return inner_->Issue(); }

core::Result<void> RejectingNonceService::Redeem(std::string_view nonce) {
  FLINT_TRY(inner_->Redeem(nonce));
  if (core::Chance(random_, percent_)) {
    return core::Err(core::ErrorType::kBadNonce,
                     "nonce refused at random (PEBBLE_WFE_NONCEREJECT=" + std::to_string(percent_) +
                         "); retry with the nonce of this response");
  }
  return core::Ok();
}

SleepingValidator::SleepingValidator(std::unique_ptr<ra::Validator> inner,
                                     std::chrono::seconds max_sleep, core::Random& random)
    : inner_(std::move(inner)), max_sleep_(max_sleep), random_(random) {}

SleepingValidator::~SleepingValidator() {
  timers_.stop();
  timers_.join();
}

void SleepingValidator::Validate(ra::ValidationRequest request, Completion done) const {
  const std::string b = random_.Bytes(4);
  uint32_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  // Pebble's rand.Intn(sleepTime): [0, sleepTime) whole seconds.
  const auto pause = std::chrono::seconds(v % static_cast<uint32_t>(max_sleep_.count()));
  auto timer = std::make_shared<boost::asio::steady_timer>(timers_.get_executor(), pause);
  timer->async_wait([this, timer, request = std::move(request),
                     done = std::move(done)](const boost::system::error_code& ec) mutable {
    if (ec) return;  // stopped: dropped, as documented
    inner_->Validate(std::move(request), std::move(done));
  });
}

void SleepingValidator::CheckCaa(ra::ValidationRequest request, Completion done) const {
  inner_->CheckCaa(std::move(request), std::move(done));
}

int RunPebble(const std::vector<std::string>& args, ServeFunction serve) {
  auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  auto parsed = config::ParsePebbleArgs(args, env);
  if (!parsed.ok()) {
    std::cerr << "flint pebble: " << parsed.error().detail << "\n";
    return 2;
  }
  if (!parsed->has_value()) return 0;  // -h
  config::PebbleSettings settings = std::move(**parsed);
  for (const std::string& w : settings.warnings) spdlog::warn("pebble config: {}", w);

  std::optional<std::string> cert = ReadFileText(settings.tls_cert_file);
  std::optional<std::string> key = ReadFileText(settings.tls_key_file);
  if (!cert || !key) {
    std::cerr << "flint pebble: cannot read "
              << (!cert ? settings.tls_cert_file : settings.tls_key_file) << "\n";
    return 1;
  }
  std::optional<std::string> dir = MakeTempDataDir();
  if (!dir) {
    std::cerr << "flint pebble: cannot create a temporary data directory\n";
    return 1;
  }
  config::Config cfg = settings.serve;
  cfg.data_dir = *dir;
  cfg.chain_length = settings.chain_length;
  cfg.alternate_roots = settings.alternate_roots;

  // The hooks' randomness; SecureRandom is thread-safe.
  static core::SecureRandom random;
  ServeHooks hooks;
  hooks.tls_cert_chain_pem = *cert;
  hooks.tls_key_pem = *key;
  hooks.directory_alias = "/dir";
  hooks.authz_reuse_percent = settings.authz_reuse_percent;
  hooks.order_retry_after_seconds = settings.order_retry_after_seconds;
  hooks.authz_retry_after_seconds = settings.authz_retry_after_seconds;
  hooks.orders_page_size = settings.orders_per_page;
  if (settings.nonce_reject_percent > 0) {
    const int percent = settings.nonce_reject_percent;
    hooks.wrap_nonces = [percent](std::unique_ptr<sa::NonceService> inner) {
      return std::unique_ptr<sa::NonceService>(
          new RejectingNonceService(std::move(inner), percent, random));
    };
  }
  if (settings.va_sleep_max) {
    const std::chrono::seconds max_sleep = *settings.va_sleep_max;
    hooks.wrap_validator = [max_sleep](std::unique_ptr<ra::Validator> inner) {
      return std::unique_ptr<ra::Validator>(
          new SleepingValidator(std::move(inner), max_sleep, random));
    };
  }
  if (!settings.eab_keys.empty()) {
    const std::map<std::string, std::string> keys = settings.eab_keys;
    hooks.prepare_store = [keys](sa::Store& store, const core::Clock& clock) -> core::Result<void> {
      for (const auto& [kid, mac] : keys) {
        sa::EabKey k;
        k.key_id = kid;
        k.hmac_key = mac;
        k.note = "externalAccountMACKeys (flint pebble)";
        k.created_at = clock.Now();
        FLINT_TRY(store.CreateEabKey(std::move(k)));
      }
      return core::Ok();
    };
  }
  if (!settings.management_listen.empty()) {
    const std::string listen = settings.management_listen;
    hooks.start_listener = [listen, cert = *cert, key = *key](const ServeContext& ctx) {
      return StartManagementListener(ctx, listen, cert, key);
    };
  }
  spdlog::info(
      "flint pebble{}: fresh CA in {} (removed at exit); nonce rejection {}%, authz "
      "reuse {}%, chain length {}, alternate roots {}, VA sleep {}{}",
      settings.strict ? " -strict" : "", *dir, settings.nonce_reject_percent,
      settings.authz_reuse_percent, settings.chain_length, settings.alternate_roots,
      settings.va_sleep_max ? "up to " + std::to_string(settings.va_sleep_max->count()) + " s"
                            : std::string("off"),
      settings.serve.skip_validation ? ", every challenge valid (PEBBLE_VA_ALWAYS_VALID)" : "");
  const int rc = serve(cfg, hooks);
  std::error_code ec;
  std::filesystem::remove_all(*dir, ec);
  if (ec) spdlog::warn("flint pebble: removing {}: {}", *dir, ec.message());
  return rc;
}

}  // namespace flint::cmd
