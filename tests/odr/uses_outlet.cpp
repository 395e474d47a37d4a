// Built three times: default, OUTLET_FORCE_POLL, OUTLET_NO_MESSAGE_BATCH.
#include "uses.hpp"

std::size_t poller_size(const outlet::Poller& poller) { return sizeof poller; }

std::size_t send_one(outlet::DatagramSocket& from, const outlet::Address& to) {
  const char byte = 'x';
  const outlet::OutgoingDatagram datagram{outlet::ConstBuffer(&byte, 1), to};
  return from.send_batch(&datagram, 1);
}
