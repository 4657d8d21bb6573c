#include "wfe/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace flint::wfe {
namespace {

const std::string kSignature("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);

std::string Header(char ver_cmd, char family, const std::string& block) {
  std::string h = kSignature;
  h += ver_cmd;
  h += family;
  h += static_cast<char>(block.size() >> 8);
  h += static_cast<char>(block.size() & 0xFF);
  return h + block;
}

std::string Ipv4Block(const std::string& src4) {
  return src4 + std::string("\x7F\x00\x00\x01", 4) + std::string("\x9C\x40\x01\xBB", 4);
}

TEST(ProxyProtocolTest, ProxyOverIpv4NamesTheSource) {
  const std::string h = Header('\x21', '\x11', Ipv4Block(std::string("\xCB\x00\x71\x07", 4)));
  ASSERT_EQ(ProxyV2HeaderLength(h), 28u);
  ProxyHeader out;
  ASSERT_TRUE(ParseProxyV2(h, &out));
  EXPECT_EQ(out.source_address, "203.0.113.7");
}

TEST(ProxyProtocolTest, ProxyOverIpv6AndTlvsAfterTheAddresses) {
  std::string src(16, '\0');
  src[0] = '\x20';
  src[1] = '\x01';
  src[2] = '\x0d';
  src[3] = '\xb8';
  src[15] = '\x01';
  std::string block = src + std::string(16, '\0') + std::string("\x9C\x40\x01\xBB", 4);
  block += std::string("\x04\x00\x01\x00", 4);  // a NOOP TLV, ignored
  const std::string h = Header('\x21', '\x21', block);
  ProxyHeader out;
  ASSERT_TRUE(ParseProxyV2(h, &out));
  EXPECT_EQ(out.source_address, "2001:db8::1");
}

TEST(ProxyProtocolTest, Ipv4MappedIpv6IsShownAsIpv4) {
  std::string src(10, '\0');
  src += "\xFF\xFF";
  src += std::string("\xC6\x33\x64\x09", 4);
  const std::string h =
      Header('\x21', '\x21', src + std::string(16, '\0') + std::string(4, '\0'));
  ProxyHeader out;
  ASSERT_TRUE(ParseProxyV2(h, &out));
  EXPECT_EQ(out.source_address, "198.51.100.9");
}

TEST(ProxyProtocolTest, LocalAndUnspecifiedLeaveThePeerAddress) {
  ProxyHeader out;
  out.source_address = "stale";
  ASSERT_TRUE(ParseProxyV2(Header('\x20', '\x00', ""), &out));  // a health check
  EXPECT_EQ(out.source_address, "");
  ASSERT_TRUE(ParseProxyV2(Header('\x21', '\x00', ""), &out));
  EXPECT_EQ(out.source_address, "");
}

TEST(ProxyProtocolTest, MalformedHeadersAreRefused) {
  const std::string good = Header('\x21', '\x11', Ipv4Block(std::string(4, '\x01')));
  ProxyHeader out;
  std::string bad_signature = good;
  bad_signature[3] = 'x';
  EXPECT_EQ(ProxyV2HeaderLength(bad_signature), 0u);
  EXPECT_FALSE(ParseProxyV2(bad_signature, &out));
  std::string version1 = good;
  version1[12] = '\x11';
  EXPECT_EQ(ProxyV2HeaderLength(version1), 0u);
  std::string bad_command = good;
  bad_command[12] = '\x2F';
  EXPECT_FALSE(ParseProxyV2(bad_command, &out));
  // An address block shorter than its family needs.
  EXPECT_FALSE(ParseProxyV2(Header('\x21', '\x11', std::string(11, '\0')), &out));
  EXPECT_FALSE(ParseProxyV2(Header('\x21', '\x21', std::string(35, '\0')), &out));
  // AF_UNIX carries no IP address.
  EXPECT_FALSE(ParseProxyV2(Header('\x21', '\x31', std::string(216, '\0')), &out));
  // A length over flint's bound, and a header cut short.
  std::string huge = kSignature + std::string("\x21\x11\xFF\xFF", 4);
  EXPECT_EQ(ProxyV2HeaderLength(huge), 0u);
  EXPECT_FALSE(ParseProxyV2(good.substr(0, good.size() - 1), &out));
  EXPECT_EQ(ProxyV2HeaderLength("short"), 0u);
}

}  // namespace
}  // namespace flint::wfe
