#pragma once

// What a join token lets its holder do in a meeting (docs/protocol.md
// "Meetings"). The SFU enforces publishing (sfu::ParticipantInfo), the
// meeting enforces the rest.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/error.hpp"
#include "sfu/participant.hpp"

namespace parley::meetings {

struct Grants {
  bool can_publish = true;
  bool can_subscribe = true;
  sfu::SourceSet sources;  // can_publish_sources
  bool can_chat = true;
  bool is_host = false;
};

boost::json::object to_json(const Grants& grants);
Result<Grants> grants_from_json(const boost::json::value& value);

}  // namespace parley::meetings
