#include "meetings/grants.hpp"

namespace parley::meetings {

namespace json = boost::json;

json::object to_json(const Grants& g) {
  json::array sources;
  if (g.sources.microphone) sources.push_back("microphone");
  if (g.sources.camera) sources.push_back("camera");
  if (g.sources.screen) sources.push_back("screen");
  return {{"can_publish", g.can_publish}, {"can_subscribe", g.can_subscribe},
          {"can_publish_sources", std::move(sources)}, {"can_chat", g.can_chat},
          {"is_host", g.is_host}};
}

Result<Grants> grants_from_json(const json::value& value) {
  const auto* o = value.if_object();
  if (!o) return fail("invalid_token", "grants must be an object");
  Grants g;
  for (auto [key, field] : {std::pair{"can_publish", &g.can_publish},
                            {"can_subscribe", &g.can_subscribe},
                            {"can_chat", &g.can_chat},
                            {"is_host", &g.is_host}}) {
    const auto* v = o->if_contains(key);
    if (!v || !v->is_bool()) return fail("invalid_token", std::string("grants.") + key + " is missing");
    *field = v->as_bool();
  }
  const auto* list = o->if_contains("can_publish_sources");
  if (!list || !list->is_array()) return fail("invalid_token", "grants.can_publish_sources is missing");
  g.sources = {false, false, false};
  for (const auto& s : list->as_array()) {
    const auto* name = s.if_string();
    auto source = name ? sfu::source_from_string(*name) : std::nullopt;
    if (!source) return fail("invalid_token", "grants.can_publish_sources holds an unknown source");
    (*source == sfu::Source::Microphone ? g.sources.microphone
     : *source == sfu::Source::Camera   ? g.sources.camera
                                        : g.sources.screen) = true;
  }
  return g;
}

}  // namespace parley::meetings
