// outlet — a header-only C++17 wrapper over BSD sockets and Winsock.
// The umbrella header: includes every part of the core. Two opt-in parts are
// not included, for what they cost every translation unit that includes this
// one: <outlet/tls.hpp> (links OpenSSL) and <outlet/systemd.hpp> (socket
// activation; pulls in <variant>).
#ifndef OUTLET_OUTLET_HPP
#define OUTLET_OUTLET_HPP

#include <outlet/address.hpp>
#include <outlet/bind_options.hpp>
#include <outlet/datagram_socket.hpp>
#include <outlet/error.hpp>
#include <outlet/network_interface.hpp>
#include <outlet/poller.hpp>
#include <outlet/server_socket.hpp>
#include <outlet/socket.hpp>
#include <outlet/socket_base.hpp>
#include <outlet/version.hpp>

#endif  // OUTLET_OUTLET_HPP
