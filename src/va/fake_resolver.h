#pragma once
// Test-only in-memory Resolver (header-only): answers from tables the test fills in, and records
// every query so tests can assert which names were looked up (e.g. CAA tree climbing).
// Thread-safe. Names are matched case-insensitively, with or without a trailing dot.

#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "va/resolver.h"

namespace flint::va {

class FakeResolver : public Resolver {
 public:
  void SetIp(const std::string& name, std::vector<std::string> addresses) {
    std::lock_guard<std::mutex> lock(mu_);
    ip_[Key(name)] = std::move(addresses);
  }
  void SetTxt(const std::string& name, std::vector<std::string> records) {
    std::lock_guard<std::mutex> lock(mu_);
    txt_[Key(name)] = std::move(records);
  }
  void SetCaa(const std::string& name, std::vector<CaaRecord> records) {
    std::lock_guard<std::mutex> lock(mu_);
    caa_[Key(name)] = std::move(records);
  }
  // Every lookup of `name` (any type) fails with `error` (e.g. kDns "SERVFAIL").
  void SetError(const std::string& name, core::Error error) {
    std::lock_guard<std::mutex> lock(mu_);
    errors_[Key(name)] = std::move(error);
  }
  // "TYPE name" for every query so far, in order.
  std::vector<std::string> queries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queries_;
  }

  core::Result<std::vector<std::string>> LookupIp(const std::string& name) override {
    return Lookup(ip_, "IP", name);
  }
  core::Result<std::vector<std::string>> LookupTxt(const std::string& name) override {
    return Lookup(txt_, "TXT", name);
  }
  core::Result<CaaAnswer> LookupCaa(const std::string& name) override {
    FLINT_ASSIGN_OR_RETURN(std::vector<CaaRecord> records, Lookup(caa_, "CAA", name));
    return CaaAnswer{std::move(records)};
  }

 private:
  static std::string Key(std::string name) {
    if (!name.empty() && name.back() == '.') name.pop_back();
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name;
  }

  template <typename T>
  core::Result<std::vector<T>> Lookup(const std::map<std::string, std::vector<T>>& table,
                                      const char* type, const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string key = Key(name);
    queries_.push_back(std::string(type) + " " + key);
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    if (auto it = table.find(key); it != table.end()) return it->second;
    return std::vector<T>();  // NXDOMAIN / NODATA
  }

  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::string>> ip_;
  std::map<std::string, std::vector<std::string>> txt_;
  std::map<std::string, std::vector<CaaRecord>> caa_;
  std::map<std::string, core::Error> errors_;
  std::vector<std::string> queries_;
};

}  // namespace flint::va
