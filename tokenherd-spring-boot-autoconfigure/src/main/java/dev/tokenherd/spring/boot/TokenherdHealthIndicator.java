package dev.tokenherd.spring.boot;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.CredentialState;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.spi.FleetTime;
import dev.tokenherd.spring.security.RegistrationCredentials;
import dev.tokenherd.spring.security.RegistrationCredentials.Credential;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Actuator health of Tokenherd, under the name {@code tokenherd}:
 *
 * <ul>
 *   <li>DOWN when the store cannot be reached (its clock is asked, with a timeout: one Redis {@code
 *       TIME}), with the error's type;
 *   <li>DOWN when a client's own credential needs re-authentication (revoked, client rejected, lost
 *       rotation): no instance can renew it until a new token set is seeded;
 *   <li>UP otherwise, with each client credential's status, seconds to expiry and last failure, and
 *       how many users' credentials need a new login (normal: a user logs in again).
 * </ul>
 *
 * <p>Taking it sends no token request. Details never hold a token.
 */
public final class TokenherdHealthIndicator implements HealthIndicator {
  private static final Duration STORE_TIMEOUT = Duration.ofSeconds(2);

  private final RegistrationCredentials credentials;
  private final @Nullable FleetTime store;

  /**
   * Creates the indicator.
   *
   * @param credentials the registrations served
   * @param store the store's clock, asked to see that the store answers; {@code null} for an
   *     in-memory store
   */
  public TokenherdHealthIndicator(RegistrationCredentials credentials, @Nullable FleetTime store) {
    this.credentials = requireNonNull(credentials, "credentials");
    this.store = store;
  }

  @Override
  public Health health() {
    Map<String, Object> details = new LinkedHashMap<>();
    boolean down = false;
    boolean storeDown = false;
    if (store != null) {
      try {
        store.now().toCompletableFuture().get(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        details.put("store", "reachable");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        details.put("store", "interrupted");
        storeDown = true;
      } catch (Exception e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        details.put("store", "unreachable: " + cause.getClass().getSimpleName());
        storeDown = true;
      }
    }
    Map<String, Object> clients = new LinkedHashMap<>();
    int usersNeedingLogin = 0;
    for (Credential credential : credentials.credentials()) {
      CredentialState state = credential.coordinator().state();
      if (!credential.shared()) {
        if (state.status() == CredentialState.Status.REAUTHENTICATION_REQUIRED) {
          usersNeedingLogin++;
        }
        continue;
      }
      if (state.status() == CredentialState.Status.REAUTHENTICATION_REQUIRED
          || (storeDown && !state.status().serving())) {
        down = true;
      }
      clients.put(credential.registration().getRegistrationId(), describe(state));
    }
    if (storeDown && clients.isEmpty()) {
      down = true; // nothing served yet: the first caller needs the store
    }
    details.put("clients", clients);
    details.put("usersNeedingLogin", usersNeedingLogin);
    return (down ? Health.down() : Health.up()).withDetails(details).build();
  }

  private static Map<String, Object> describe(CredentialState state) {
    Map<String, Object> described = new LinkedHashMap<>();
    described.put("status", state.status().name());
    if (state.expiresAt() != null) {
      described.put("expiresAt", String.valueOf(state.expiresAt()));
    }
    if (state.reauthenticationReason() != null) {
      described.put("reason", String.valueOf(state.reauthenticationReason()));
    }
    TokenRefreshException failure = state.lastFailure();
    if (failure != null) {
      described.put(
          "lastFailure", failure.getClass().getSimpleName() + ": " + failure.getMessage());
    }
    described.put("tokenRequests", state.stats().tokenRequests());
    return described;
  }
}
