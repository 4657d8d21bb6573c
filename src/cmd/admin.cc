// `flint admin`: operator commands (admin.h). Storage queries live in sa (StoreReader/Store);
// revocation goes through the RA's operator path (ra/revocation.h); this file parses the command
// line and prints.
#include "cmd/admin.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "ca/ca_files.h"
#include "ca/openssl_util.h"
#include "cmd/admin_records.h"
#include "cmd/audit_log.h"
#include "cmd/retention.h"
#include "config/config.h"
#include "cmd/perspective_admin.h"
#include "core/ascii.h"
#include "core/clock.h"
#include "core/random.h"
#include "jose/base64url.h"
#include "jose/jwk.h"
#include "ra/account_recovery.h"
#include "ra/audit_records.h"
#include "ra/eab.h"
#include "ra/revocation.h"
#include "sa/store.h"

namespace flint::cmd {
namespace {

namespace json = boost::json;
using core::Err;
using core::ErrorType;
using core::Result;

struct Args {
  std::string data_dir = "./flint-data";
  std::string db;  // libpq URI; empty: the SQLite store in data_dir
  bool json = false;
  std::string note;
  std::string key_id;
  int limit = 100;
  int64_t account = 0;  // --account; 0: every account (ids start at 1)
  int64_t id = 0;
  std::string serial;
  int reason = 0;
  std::string spki_sha256;
  std::string key_path;   // accounts rekey --key
  std::string audit_log;  // --audit-log: also append audit records there
  std::string retain_orders = "720h";
  std::string retain_authorizations = "720h";
};

// Audit records of `flint admin` (core/audit.h): each one a line "audit <event> <JSON>" on the
// diagnostics stream, and appended to --audit-log FILE when given (the same file flint serve
// writes: records from both are whole lines, O_APPEND).
class AdminAuditLog final : public core::AuditLog {
 public:
  AdminAuditLog(std::ostream& err, AuditFile* file) : err_(err), file_(file) {}
  void Record(std::string_view event, boost::json::object fields) override {
    fields["operator_command"] = true;
    if (file_ != nullptr) {
      auto written = file_->Append(event, fields, std::chrono::system_clock::now());
      if (!written.ok()) err_ << "flint admin: " << written.error().detail << "\n";
    }
    err_ << "audit " << event << " " << boost::json::serialize(fields) << "\n";
  }

 private:
  std::ostream& err_;
  AuditFile* file_;
};

struct Context {
  const Args& args;
  sa::Store& store;
  const core::Clock& clock;
  std::ostream& out;
  core::AuditLog& audit;
};

using Command = std::function<Result<void>(Context&)>;

// Lowercase hex without separators ("01:AB" -> "01ab"); empty when it is not hex.
std::string NormalizeHex(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), ':'), text.end());
  core::AsciiLowerInPlace(text);
  if (text.empty() || text.find_first_not_of("0123456789abcdef") != std::string::npos) return "";
  return text;
}

// --- eab ---

Result<void> EabCreate(Context& c) {
  core::SecureRandom random;
  FLINT_ASSIGN_OR_RETURN(sa::EabKey key, ra::CreateEabKey(c.store, random, c.clock, c.args.note));
  json::object o;
  o["key_id"] = key.key_id;
  o["hmac_key"] = jose::Base64UrlEncode(key.hmac_key);  // shown this once
  PrintRecord(c.out, o, c.args.json);
  return core::Ok();
}

Result<void> EabList(Context& c) {
  FLINT_ASSIGN_OR_RETURN(std::vector<sa::EabKey> keys, c.store.ListEabKeys());
  std::vector<json::object> records;
  for (const sa::EabKey& k : keys) records.push_back(EabKeyRecord(k));
  PrintList(c.out, records, c.args.json);
  return core::Ok();
}

Result<void> EabRevoke(Context& c) {
  auto key = c.store.RevokeEabKey(c.args.key_id, c.clock.Now());
  if (!key.ok() && key.error().type == ErrorType::kConflict)
    return Err(ErrorType::kConflict, "EAB key " + c.args.key_id + " is already revoked");
  if (!key.ok() && key.error().type == ErrorType::kNotFound)
    return Err(ErrorType::kNotFound, "no EAB key " + c.args.key_id);
  if (!key.ok()) return std::move(key).error();
  PrintRecord(c.out, EabKeyRecord(*key), c.args.json);
  return core::Ok();
}

// --- accounts, orders, certificates ---

Result<void> AccountsList(Context& c) {
  FLINT_ASSIGN_OR_RETURN(std::vector<core::Account> accounts, c.store.ListAccounts(c.args.limit));
  std::vector<json::object> records;
  for (const core::Account& a : accounts) records.push_back(AccountRecord(a, false));
  PrintList(c.out, records, c.args.json);
  return core::Ok();
}

Result<void> AccountsShow(Context& c) {
  FLINT_ASSIGN_OR_RETURN(core::Account a, c.store.GetAccount(core::AccountId(c.args.id)));
  PrintRecord(c.out, AccountRecord(a, true), c.args.json);
  return core::Ok();
}

std::optional<core::AccountId> AccountFilter(const Args& a) {
  if (a.account <= 0) return std::nullopt;
  return core::AccountId(a.account);
}

Result<void> OrdersList(Context& c) {
  FLINT_ASSIGN_OR_RETURN(std::vector<core::Order> orders,
                         c.store.ListOrders(AccountFilter(c.args), c.args.limit));
  std::vector<json::object> records;
  for (const core::Order& o : orders) records.push_back(OrderRecord(o, false));
  PrintList(c.out, records, c.args.json);
  return core::Ok();
}

Result<void> OrdersShow(Context& c) {
  FLINT_ASSIGN_OR_RETURN(core::Order o, c.store.GetOrder(core::OrderId(c.args.id)));
  PrintRecord(c.out, OrderRecord(o, true), c.args.json);
  return core::Ok();
}

Result<void> CertsList(Context& c) {
  FLINT_ASSIGN_OR_RETURN(std::vector<core::Certificate> certs,
                         c.store.ListCertificates(AccountFilter(c.args), c.args.limit));
  std::vector<json::object> records;
  for (const core::Certificate& cert : certs) records.push_back(CertificateRecord(cert, false));
  PrintList(c.out, records, c.args.json);
  return core::Ok();
}

// A serial as stored (hex of the DER INTEGER content octets), from any hex spelling of the
// number: "5a0f", "05A0F", "05:a0:0f" ...
Result<std::string> SerialArg(const Args& a) {
  std::string serial = NormalizeHex(a.serial);
  if (serial.empty()) return Err(ErrorType::kMalformed, "SERIAL must be hexadecimal");
  serial.erase(0, std::min(serial.find_first_not_of('0'), serial.size() - 1));
  if (serial.size() % 2 != 0) serial.insert(0, "0");
  if (serial[0] >= '8') serial.insert(0, "00");  // keeps the INTEGER positive
  return serial;
}

Result<void> CertsShow(Context& c) {
  FLINT_ASSIGN_OR_RETURN(std::string serial, SerialArg(c.args));
  FLINT_ASSIGN_OR_RETURN(core::Certificate cert, c.store.GetCertificateBySerial(serial));
  PrintRecord(c.out, CertificateRecord(cert, true), c.args.json);
  return core::Ok();
}

// The operator path of RFC 8555 §7.6 revocation: any RFC 5280 reason, no subscriber check.
// The server picks the revocation up in its next CRL and in OCSP answers (they read storage).
Result<void> CertsRevoke(Context& c) {
  ra::RevocationRequest req;
  FLINT_ASSIGN_OR_RETURN(req.serial_hex, SerialArg(c.args));
  req.reason = c.args.reason;
  req.admin = true;
  req.admin_note = "flint admin certs revoke";
  FLINT_ASSIGN_OR_RETURN(core::Certificate cert, ra::RevokeCertificate(c.store, c.clock, req));
  c.audit.Record("revocation", ra::RevocationAuditRecord(cert, req, ""));
  PrintRecord(c.out, CertificateRecord(cert, false), c.args.json);
  return core::Ok();
}

Result<void> KeysBlock(Context& c) {
  std::string hex = NormalizeHex(c.args.spki_sha256);
  if (hex.size() != 64)
    return Err(ErrorType::kMalformed, "--spki-sha256 must be 64 hexadecimal digits");
  sa::BlockedKey key;
  key.spki_sha256 = hex;
  key.blocked_at = c.clock.Now();
  key.source = "flint admin keys block";
  FLINT_TRY(c.store.BlockKey(key));
  FLINT_ASSIGN_OR_RETURN(std::optional<sa::BlockedKey> stored, c.store.GetBlockedKey(hex));
  json::object o;
  o["spki_sha256"] = hex;
  o["blocked"] = core::FormatRfc3339(stored ? stored->blocked_at : key.blocked_at);
  o["source"] = stored ? stored->source : key.source;
  PrintRecord(c.out, o, c.args.json);
  return core::Ok();
}

// --- account recovery, retention ---

// The public key in the PEM file at `path` (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY").
Result<jose::PublicKey> ReadPublicKeyPem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(ErrorType::kMalformed, "cannot read " + path);
  std::stringstream pem;
  pem << in.rdbuf();
  const std::string text = pem.str();
  ca::UniqueBio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return ca::OpenSslError("BIO_new_mem_buf");
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (pkey == nullptr) {
    ERR_clear_error();
    return Err(ErrorType::kMalformed,
               path + " holds no PEM public key (-----BEGIN PUBLIC KEY-----; e.g. openssl pkey "
                      "-in account.key -pubout)");
  }
  auto key = jose::PublicKeyFromPkey(pkey);
  EVP_PKEY_free(pkey);
  return key;
}

// Account recovery (docs/OPERATIONS.md "Account recovery"): the same key rules as keyChange
// (ra/account_recovery.h) and an audit record.
Result<void> AccountsRekey(Context& c) {
  FLINT_ASSIGN_OR_RETURN(jose::PublicKey key, ReadPublicKeyPem(c.args.key_path));
  const std::string note =
      c.args.note.empty() ? std::string("flint admin accounts rekey")
                          : "flint admin accounts rekey: " + c.args.note;
  auto moved = ra::RekeyAccount(c.store, c.audit, core::AccountId(c.args.id), key, note);
  if (!moved.ok() && moved.error().type == ErrorType::kConflict &&
      moved.error().conflicting_account_id != 0) {
    return Err(ErrorType::kConflict, "the key belongs to account " +
                                         std::to_string(moved.error().conflicting_account_id));
  }
  if (!moved.ok()) return std::move(moved).error();
  PrintRecord(c.out, AccountRecord(*moved, true), c.args.json);
  return core::Ok();
}

Result<std::chrono::seconds> RetentionArg(const std::string& flag, const std::string& text) {
  if (text == "0") return std::chrono::seconds(0);
  auto d = config::ParseDuration(text);
  if (!d.ok()) return Err(ErrorType::kMalformed, flag + ": " + d.error().detail);
  return *d;
}

Result<void> Purge(Context& c) {
  RetentionWindows windows;
  FLINT_ASSIGN_OR_RETURN(windows.orders,
                         RetentionArg("--retain-expired-orders", c.args.retain_orders));
  FLINT_ASSIGN_OR_RETURN(windows.authorizations,
                         RetentionArg("--retain-expired-authorizations",
                                      c.args.retain_authorizations));
  FLINT_ASSIGN_OR_RETURN(sa::PurgeCounts counts, RunPurge(c.store, windows, c.clock));
  json::object o;
  o["orders"] = counts.orders;
  o["authorizations"] = counts.authorizations;
  o["challenges"] = counts.challenges;
  o["nonces"] = counts.nonces;
  o["rate_limits"] = counts.rate_limits;
  o["complete"] = counts.complete;
  PrintRecord(c.out, o, c.args.json);
  return core::Ok();
}

// --- ca status ---

Result<json::object> CaCertRecord(const std::string& dir, const char* file) {
  std::ifstream in(dir + "/" + file, std::ios::binary);
  if (!in) return Err(ErrorType::kNotFound, "cannot read " + dir + "/" + file);
  std::stringstream pem;
  pem << in.rdbuf();
  FLINT_ASSIGN_OR_RETURN(std::vector<ca::UniqueX509> certs, ca::ParsePemCertificates(pem.str()));
  X509* cert = certs.front().get();
  ca::UniqueBio bio(BIO_new(BIO_s_mem()));
  if (!bio) return ca::OpenSslError("BIO_new");
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  FLINT_ASSIGN_OR_RETURN(core::TimePoint not_before, ca::FromAsn1Time(X509_get0_notBefore(cert)));
  FLINT_ASSIGN_OR_RETURN(core::TimePoint not_after, ca::FromAsn1Time(X509_get0_notAfter(cert)));
  json::object o;
  o["subject"] = std::string(data, static_cast<size_t>(std::max(0L, len)));
  o["not_before"] = core::FormatRfc3339(not_before);
  o["not_after"] = core::FormatRfc3339(not_after);
  o["sha256"] = ca::CertFingerprintSha256(cert);
  return o;
}

Result<void> CaStatus(Context& c) {
  FLINT_ASSIGN_OR_RETURN(json::object root, CaCertRecord(c.args.data_dir, ca::kRootCertFile));
  FLINT_ASSIGN_OR_RETURN(json::object inter,
                         CaCertRecord(c.args.data_dir, ca::kIntermediateCertFile));
  FLINT_ASSIGN_OR_RETURN(sa::CertificateCounts counts, c.store.CountCertificates());
  FLINT_ASSIGN_OR_RETURN(int64_t crl_number, c.store.LastCrlNumber());
  json::object o;
  for (const auto& [k, v] : root) o["root_" + std::string(k)] = v;
  for (const auto& [k, v] : inter) o["intermediate_" + std::string(k)] = v;
  o["certificates_issued"] = counts.issued;
  o["certificates_revoked"] = counts.revoked;
  o["crl_number"] = crl_number > 0 ? json::value(crl_number) : json::value(nullptr);
  PrintRecord(c.out, o, c.args.json);
  return core::Ok();
}

// --- command line ---

// Adds `name` under `parent`, running `cmd` when chosen. Parent options (--data, --json) may
// follow the subcommand words (fallthrough).
CLI::App* Leaf(CLI::App* parent, const char* name, const char* help, Command cmd,
               std::optional<Command>& chosen) {
  CLI::App* app = parent->add_subcommand(name, help);
  app->fallthrough();
  app->callback([cmd = std::move(cmd), &chosen]() { chosen = cmd; });
  return app;
}

CLI::App* Group(CLI::App& app, const char* name, const char* help) {
  CLI::App* g = app.add_subcommand(name, help);
  g->fallthrough();
  g->require_subcommand(1);
  return g;
}

void DefineCommands(CLI::App& app, Args& a, std::optional<Command>& chosen,
                    std::optional<StandaloneCommand>& standalone) {
  app.add_option("--data", a.data_dir, "data directory of the flint to administer")
      ->capture_default_str();
  app.add_option("--db", a.db,
                 "PostgreSQL connection URI the flint instances use (flint serve --db); "
                 "default: the SQLite store in --data");
  app.add_flag("--json", a.json, "print JSON instead of plain text");
  app.add_option("--audit-log", a.audit_log,
                 "also append the audit records of changes (rekey, revoke) to this file, as "
                 "flint serve --audit-log does");
  app.require_subcommand(1);

  CLI::App* eab = Group(app, "eab", "external account binding keys (RFC 8555 §7.3.4)");
  Leaf(eab, "create", "new key; prints its id and HMAC key once", EabCreate, chosen)
      ->add_option("--note", a.note, "free text stored with the key");
  Leaf(eab, "list", "every key and whether it is unused, bound or revoked", EabList, chosen);
  Leaf(eab, "revoke", "revoke a key (a bound account stays)", EabRevoke, chosen)
      ->add_option("KEYID", a.key_id)
      ->required();

  CLI::App* accounts = Group(app, "accounts", "ACME accounts");
  Leaf(accounts, "list", "newest first", AccountsList, chosen)
      ->add_option("--limit", a.limit)
      ->capture_default_str();
  Leaf(accounts, "show", "one account", AccountsShow, chosen)->add_option("ID", a.id)->required();
  CLI::App* rk = Leaf(accounts, "rekey",
                      "account recovery: move the account to a new key (the subscriber lost "
                      "theirs and proved who they are out of band); the old key is refused "
                      "from then on",
                      AccountsRekey, chosen);
  rk->add_option("ID", a.id)->required();
  rk->add_option("--key", a.key_path, "PEM public key (SubjectPublicKeyInfo) of the new key")
      ->required();
  rk->add_option("--note", a.note, "who asked and how they were identified, for the audit record");

  CLI::App* orders = Group(app, "orders", "ACME orders");
  CLI::App* ol = Leaf(orders, "list", "newest first", OrdersList, chosen);
  ol->add_option("--account", a.account, "only this account's");
  ol->add_option("--limit", a.limit)->capture_default_str();
  Leaf(orders, "show", "one order", OrdersShow, chosen)->add_option("ID", a.id)->required();

  CLI::App* certs = Group(app, "certs", "issued certificates");
  CLI::App* cl = Leaf(certs, "list", "newest first", CertsList, chosen);
  cl->add_option("--account", a.account, "only this account's");
  cl->add_option("--limit", a.limit)->capture_default_str();
  Leaf(certs, "show", "one certificate, with its PEM", CertsShow, chosen)
      ->add_option("SERIAL", a.serial, "serial in hex")
      ->required();
  CLI::App* rv = Leaf(certs, "revoke", "revoke with any RFC 5280 reason", CertsRevoke, chosen);
  rv->add_option("SERIAL", a.serial, "serial in hex")->required();
  rv->add_option("--reason", a.reason, "CRLReason: 0-6, 9 or 10")->required();

  CLI::App* keys = Group(app, "keys", "key blocklist");
  Leaf(keys, "block", "refuse a public key in CSRs and as an account key", KeysBlock, chosen)
      ->add_option("--spki-sha256", a.spki_sha256, "hex SHA-256 of the DER SubjectPublicKeyInfo")
      ->required();

  CLI::App* purge = Leaf(&app, "purge",
                         "purge expired orders, authorizations, challenges and nonces once, as "
                         "flint serve does every --purge-interval (certificates are kept)",
                         Purge, chosen);
  purge->add_option("--retain-expired-orders", a.retain_orders,
                    "keep orders this long after they expired (0: keep forever)")
      ->capture_default_str();
  purge->add_option("--retain-expired-authorizations", a.retain_authorizations,
                    "keep authorizations this long after they expired (0: keep forever)")
      ->capture_default_str();

  CLI::App* ca_group = Group(app, "ca", "the certificate authority");
  Leaf(ca_group, "status", "CA certificates, counts, CRL number", CaStatus, chosen);

  DefinePerspectiveCommands(app, a.data_dir, a.json, standalone);
}

}  // namespace

int RunAdmin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
             const StoreOpener& open_store) {
  Args a;
  std::optional<Command> chosen;
  std::optional<StandaloneCommand> standalone;  // commands on the data directory's files only
  CLI::App app{"flint admin: operator commands (safe while flint serve runs)", "flint admin"};
  DefineCommands(app, a, chosen, standalone);
  try {
    std::vector<std::string> rev(args.rbegin(), args.rend());
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "flint admin: " << e.what() << "\n";
    return 2;
  }
  if (standalone) {
    Result<void> done = (*standalone)(out);
    if (!done.ok()) {
      err << "flint admin: " << core::ErrorTypeName(done.error().type) << ": "
          << done.error().detail << "\n";
      return done.error().type == ErrorType::kMalformed ? 2 : 1;
    }
    return 0;
  }
  if (!chosen) {
    err << app.help();
    return 2;
  }
  core::SystemClock clock;
  auto store = open_store(a.data_dir, a.db, clock);
  if (!store.ok()) {
    err << "flint admin: " << store.error().detail << "\n";
    return 1;
  }
  std::unique_ptr<AuditFile> audit_file;
  if (!a.audit_log.empty()) {
    auto opened = AuditFile::Open(a.audit_log);
    if (!opened.ok()) {
      err << "flint admin: " << opened.error().detail << "\n";
      return 1;
    }
    audit_file = std::move(opened).value();
  }
  AdminAuditLog audit(err, audit_file.get());
  Context ctx{a, **store, clock, out, audit};
  Result<void> done = (*chosen)(ctx);
  if (!done.ok()) {
    err << "flint admin: " << core::ErrorTypeName(done.error().type) << ": " << done.error().detail
        << "\n";
    return 1;
  }
  return 0;
}

}  // namespace flint::cmd
