/**
 * The OAuth 2.0 token endpoint client (RFC 6749 sec. 4.4, 5 and 6) on {@code java.net.http}, with
 * optional discovery of the endpoint from an issuer (RFC 8414, OpenID Connect Discovery).
 */
@NullMarked
package dev.tokenherd.coordinator.oauth2;

import org.jspecify.annotations.NullMarked;
