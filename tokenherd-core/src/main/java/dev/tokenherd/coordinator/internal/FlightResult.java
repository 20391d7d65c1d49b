package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.spi.TokenRecord;
import org.jspecify.annotations.Nullable;

/**
 * What a flight brings back: the record it adopted or stored, for the {@link NearCache} to install,
 * and, when that record says the credential cannot be used (re-authentication required), the
 * failure its callers get instead of a token. The {@link RefreshProtocol} returns it and never
 * installs it; the {@link SingleFlight} installs it and then completes the flight, so that callers
 * woken by the flight find the new entry already cached.
 */
record FlightResult(TokenRecord record, @Nullable TokenRefreshException failure) {
  static FlightResult of(TokenRecord record) {
    return new FlightResult(record, null);
  }
}
