// REST API against a real server: auth, tokens, errors, ICE servers,
// presence, metrics and health (docs/protocol.md, "REST").

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <sstream>

#include "scenario.hpp"

namespace parley::itest {
namespace {

// base64(HMAC-SHA1(secret, text)), computed here independently of the server.
std::string turn_password(const std::string& secret, const std::string& text) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &len);
  std::string out(4 * ((len + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

void expect_rest_error(const HttpResponse& r, int status, const std::string& code,
                       Where where = Where::current()) {
  if (r.status != status || r.error_code(where) != code)
    fail_at(where, "expected HTTP " + std::to_string(status) + " " + code + ", got " +
                       std::to_string(r.status) + " " + r.body);
  const auto e = r.json(where).at("error").as_object();
  if (str(e, "message", where).empty()) fail_at(where, "error without a message: " + r.body);
  if (r.content_type.rfind("application/json", 0) != 0)
    fail_at(where, "error is not application/json: " + r.content_type);
}

TEST(RestApi, RegisterAnswers201WithProfileAndToken) {
  ServerProcess server;
  Http http(server.port());
  const std::string name = unique_name("reg");
  const auto r =
      http.post("/api/v1/auth/register",
                dump(json::object{
                    {"username", name}, {"password", kPassword}, {"display_name", "Reg Istered"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto o = r.json().as_object();
  EXPECT_EQ(str(o, "user_id").rfind("u_", 0), 0u) << r.body;
  EXPECT_EQ(str(o, "username"), name);
  EXPECT_EQ(str(o, "display_name"), "Reg Istered");
  EXPECT_FALSE(str(o, "token").empty());

  const auto me = http.get("/api/v1/me", str(o, "token"));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json().as_object().at("user_id"), o.at("user_id"));
  EXPECT_EQ(me.json().as_object().at("username"), json::value(name));
}

TEST(RestApi, DuplicateUsernameIs409UsernameTaken) {
  ServerProcess server;
  Http http(server.port());
  const User u = register_user(http, "dup");
  const auto r =
      http.post("/api/v1/auth/register",
                dump(json::object{{"username", u.username}, {"password", "another pw 1"}}));
  expect_rest_error(r, 409, "username_taken");
}

TEST(RestApi, LoginAnswers200WithTheSameShape) {
  ServerProcess server;
  Http http(server.port());
  const User u = register_user(http, "login");
  const User again = login(http, u.username, kPassword);
  EXPECT_EQ(again.user_id, u.user_id);
  EXPECT_EQ(again.username, u.username);
  EXPECT_EQ(again.display_name, u.display_name);
  EXPECT_EQ(http.get("/api/v1/me", again.token).status, 200);
}

TEST(RestApi, WrongPasswordAndUnknownUserAre401) {
  ServerProcess server;
  Http http(server.port());
  const User u = register_user(http, "wrongpw");
  expect_rest_error(
      http.post("/api/v1/auth/login",
                dump(json::object{{"username", u.username}, {"password", "not it at all"}})),
      401, "invalid_credentials");
  expect_rest_error(http.post("/api/v1/auth/login", dump(json::object{{"username", "nobody_here"},
                                                                      {"password", kPassword}})),
                    401, "invalid_credentials");
}

TEST(RestApi, ProtectedEndpointsWithoutTokenAre401) {
  ServerProcess server;
  Http http(server.port());
  const User u = register_user(http, "notoken");
  for (const std::string& target : std::vector<std::string>{
           "/api/v1/calls", "/api/v1/ice-servers", "/api/v1/me", "/api/v1/users/" + u.username}) {
    SCOPED_TRACE(target);
    expect_rest_error(http.get(target), 401, "unauthorized");
    expect_rest_error(http.get(target, "not-a-jwt"), 401, "unauthorized");
    expect_rest_error(http.get(target, u.token + "x"), 401, "unauthorized");
    EXPECT_EQ(http.get(target, u.token).status, 200);
  }
}

TEST(RestApi, WebSocketWithoutValidTokenIs401BeforeUpgrade) {
  ServerProcess server;
  Http http(server.port());
  const User u = register_user(http, "wsauth");
  EXPECT_EQ(WsClient::upgrade_status(server.port(), "/ws"), 401);
  EXPECT_EQ(WsClient::upgrade_status(server.port(), "/ws?token="), 401);
  EXPECT_EQ(WsClient::upgrade_status(server.port(), "/ws?token=garbage"), 401);
  EXPECT_EQ(WsClient::upgrade_status(server.port(), "/ws?token=" + u.token), 101);
  // Upgrades are only served on /ws.
  EXPECT_EQ(WsClient::upgrade_status(server.port(), "/elsewhere?token=" + u.token), 404);
}

TEST(RestApi, BadBodiesAre400WithJsonError) {
  ServerProcess server;
  Http http(server.port());
  const auto reg = [&](const std::string& body) {
    return http.post("/api/v1/auth/register", body);
  };
  expect_rest_error(reg("this is not json"), 400, "invalid_json");
  expect_rest_error(reg("[1,2,3]"), 400, "invalid_json");
  expect_rest_error(reg(""), 400, "invalid_json");
  expect_rest_error(reg(R"({"username":"abc"})"), 400, "missing_field");
  expect_rest_error(reg(R"({"username":5,"password":"long enough"})"), 400, "invalid_field");
  expect_rest_error(http.post("/api/v1/auth/login", "{not json"), 400, "invalid_json");
  expect_rest_error(http.post("/api/v1/auth/login", R"({"password":"long enough"})"), 400,
                    "missing_field");
  // Username and password rules: every violation is a 400, never a 201.
  for (const auto& body :
       {R"({"username":"ab","password":"long enough"})",
        R"({"username":"UPPER","password":"long enough"})",
        R"({"username":"sp ace","password":"long enough"})",
        R"({"username":"okname","password":"short"})",
        R"({"username":"okname2","password":"long enough","display_name":""})"}) {
    SCOPED_TRACE(body);
    const auto r = reg(body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_FALSE(r.error_code().empty());
  }
}

TEST(RestApi, WrongMethodIs405UnknownIs404OversizedIs413) {
  ServerProcess server;
  Http http(server.port());
  const User u = register_user(http, "methods");
  expect_rest_error(http.get("/api/v1/auth/register"), 405, "method_not_allowed");
  expect_rest_error(http.request("POST", "/api/v1/calls", "{}", u.token), 405,
                    "method_not_allowed");
  expect_rest_error(http.get("/api/v1/nothing-here", u.token), 404, "not_found");
  expect_rest_error(http.get("/api/v1/users/nobody_here", u.token), 404, "user_not_found");
  const std::string big = R"({"username":"big","password":")" + std::string(70 * 1024, 'x') + "\"}";
  const auto r = http.post("/api/v1/auth/register", big);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_FALSE(r.error_code().empty());
}

TEST(RestApi, IceServersCarryTurnRestCredential) {
  const std::string secret = "s";
  ServerProcess server({"--ice-server", "stun:stun.example.org:3478", "--ice-server",
                        "turn:turn.example.org:3478?transport=udp", "--turn-secret", secret});
  Http http(server.port());
  const User u = register_user(http, "ice");
  // The server's clock (system_clock); std::time() may read a coarser clock
  // that lags it across a second boundary.
  const auto now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before = now();
  const auto r = http.get("/api/v1/ice-servers", u.token);
  const std::int64_t after = now();
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = r.json().as_object();
  const std::int64_t ttl = num(o, "ttl");
  EXPECT_EQ(ttl, 86400);
  const auto& servers = o.at("ice_servers").as_array();
  ASSERT_EQ(servers.size(), 2u) << r.body;

  const auto& stun = servers[0].as_object();
  EXPECT_EQ(stun.at("urls"), json::value(json::array{"stun:stun.example.org:3478"}));
  EXPECT_FALSE(stun.contains("credential"));

  const auto& turn = servers[1].as_object();
  EXPECT_EQ(turn.at("urls"), json::value(json::array{"turn:turn.example.org:3478?transport=udp"}));
  const std::string username = str(turn, "username");
  const auto colon = username.find(':');
  ASSERT_NE(colon, std::string::npos) << username;
  const std::int64_t expiry = std::stoll(username.substr(0, colon));
  EXPECT_EQ(username.substr(colon + 1), u.user_id);
  EXPECT_GE(expiry, before + ttl);
  EXPECT_LE(expiry, after + ttl);
  EXPECT_EQ(str(turn, "credential"), turn_password(secret, username));
}

TEST(RestApi, PresenceFollowsConnectedDevices) {
  ServerProcess server;
  Http http(server.port());
  const User alice = register_user(http, "alice");
  const User bob = register_user(http, "bob");
  const auto profile = [&] {
    const auto r = http.get("/api/v1/users/" + bob.username, alice.token);
    if (r.status != 200) fail_at(Where::current(), "profile: " + r.body);
    return r.json().as_object();
  };
  auto p = profile();
  EXPECT_EQ(p.at("online"), json::value(false));
  EXPECT_EQ(str(p, "user_id"), bob.user_id);
  EXPECT_EQ(str(p, "display_name"), bob.display_name);

  {
    WsClient unregistered(server.port(), bob.token, "bob/unregistered");
    unregistered.send({{"type", "ping"}});
    unregistered.expect("pong");
    EXPECT_EQ(profile().at("online"), json::value(false)) << "online before any register";

    auto dev = connect_device(server.port(), bob, "tab-1");
    // `registered` is sent after the device is marked online.
    p = profile();
    EXPECT_EQ(p.at("online"), json::value(true)) << dump(p);
    EXPECT_GT(num(p, "last_seen"), 0);
    dev->close();
  }
  EXPECT_TRUE(eventually([&] { return profile().at("online") == json::value(false); }))
      << "still online after the device disconnected: " << dump(profile());
  EXPECT_GT(num(profile(), "last_seen"), 0);
}

TEST(RestApi, MetricsAndHealth) {
  ServerProcess server;
  Http http(server.port());
  const auto health = http.get("/health");
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.json(), json::parse(R"({"status":"ok","store":"ok"})"));

  const User alice = register_user(http, "alice");
  const User bob = register_user(http, "bob");
  auto a = connect_device(server.port(), alice, "a1");
  auto b = connect_device(server.port(), bob, "b1");
  const auto id = place_call(alice, *a, bob, {b.get()}, "metrics-1");
  accept_call(*a, *b, "b1", {}, id);
  a->send(call_msg("call_end", id));
  expect_ended({a.get(), b.get()}, id, "completed");
  a->send({{"type", "no_such_type"}});
  a->expect_error("unknown_type");

  const auto r = http.get("/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u) << r.content_type;
  const std::string& m = r.body;
  EXPECT_EQ(metric_sample(m, "parley_connected_devices"), 2.0) << m;
  EXPECT_EQ(metric_sample(m, R"(parley_calls_total{outcome="completed"})"), 1.0) << m;
  EXPECT_EQ(metric_sample(m, R"(parley_call_setup_seconds_bucket{le="+Inf"})"), 1.0) << m;
  EXPECT_EQ(metric_sample(m, "parley_call_setup_seconds_count"), 1.0) << m;
  EXPECT_EQ(metric_sample(m, R"(parley_signaling_messages_total{type="call_invite"})"), 1.0) << m;
  EXPECT_GE(metric_sample(m, R"(parley_signaling_messages_total{type="register"})").value_or(0), 2.0);
  EXPECT_EQ(metric_sample(m, R"(parley_signaling_errors_total{code="unknown_type"})"), 1.0) << m;
  for (const char* family :
       {"parley_connected_devices", "parley_calls_total", "parley_call_setup_seconds",
        "parley_signaling_messages_total", "parley_signaling_errors_total"})
    EXPECT_NE(m.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;

  b->close();
  EXPECT_TRUE(eventually(
      [&] { return metric_sample(http.get("/metrics").body, "parley_connected_devices") == 1.0; }));
}

}  // namespace
}  // namespace parley::itest
