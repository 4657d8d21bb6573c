#pragma once
// For tests: what `flint serve` keeps in its data directory, made for real in a temporary one:
// a SQLite store (flint.db) and a freshly generated CA behind the RA's CertificateAuthority.
// Shared by the RA fixture (ra/revocation_test_util.h) and the pipeline fixture
// (wfe/pipeline_test_util.h), so both build the same thing the same way.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "ca/ca_files.h"
#include "cmd/ca_authority.h"
#include "core/clock.h"
#include "core/random.h"
#include "sa/sqlite_store.h"

namespace flint::testing {

class TestDataDir {
 public:
  // Creates /tmp/<prefix>-XXXXXX with the store and the CA; failures are reported to gtest
  // (check HasFailure() after it) and leave the members null.
  TestDataDir(const std::string& prefix, const core::Clock& clock, core::Random& random) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << tmpl;
      return;
    }
    dir_ = tmpl;
    auto st = sa::SqliteStore::Open(dir_ + "/flint.db", clock);
    if (!st.ok()) {
      ADD_FAILURE() << st.error().detail;
      return;
    }
    store_ = std::move(st).value();
    auto ca = ca::LoadOrCreateCa(dir_ + "/ca", {}, clock, random);
    if (!ca.ok()) {
      ADD_FAILURE() << ca.error().detail;
      return;
    }
    ca_ = std::make_unique<ca::CaMaterial>(std::move(ca).value());
    authority_ = std::make_unique<cmd::LocalCertificateAuthority>(*ca_, random);
  }
  ~TestDataDir() {
    CloseStore();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  TestDataDir(const TestDataDir&) = delete;
  TestDataDir& operator=(const TestDataDir&) = delete;

  // Closes the store (whatever uses it must be gone first); the files stay until destruction.
  void CloseStore() { store_.reset(); }

  const std::string& dir() const { return dir_; }
  sa::SqliteStore* store() const { return store_.get(); }
  ca::CaMaterial* ca() const { return ca_.get(); }
  cmd::LocalCertificateAuthority* authority() const { return authority_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<sa::SqliteStore> store_;
  std::unique_ptr<ca::CaMaterial> ca_;
  std::unique_ptr<cmd::LocalCertificateAuthority> authority_;
};

}  // namespace flint::testing
