// outlet — a header-only C++17 wrapper over BSD sockets and Winsock.
// The umbrella header: includes everything.
#ifndef OUTLET_OUTLET_HPP
#define OUTLET_OUTLET_HPP

#include <outlet/address.hpp>
#include <outlet/datagram_socket.hpp>
#include <outlet/error.hpp>
#include <outlet/network_interface.hpp>
#include <outlet/poller.hpp>
#include <outlet/server_socket.hpp>
#include <outlet/socket.hpp>
#include <outlet/socket_base.hpp>
#include <outlet/version.hpp>

#endif  // OUTLET_OUTLET_HPP
