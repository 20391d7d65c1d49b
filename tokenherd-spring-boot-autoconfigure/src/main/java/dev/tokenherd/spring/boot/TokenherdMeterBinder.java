package dev.tokenherd.spring.boot;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.CoordinatorStats;
import dev.tokenherd.coordinator.CredentialState;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.spring.security.RegistrationCredentials;
import dev.tokenherd.spring.security.RegistrationCredentials.Credential;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Duration;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.security.oauth2.client.registration.ClientRegistration;

/**
 * Tokenherd's meters, in Micrometer's naming conventions (dots, base units, {@code tokenherd.}
 * prefix), tagged by {@code credential} (the registration id) and, for counters of outcomes, by
 * {@code outcome}:
 *
 * <ul>
 *   <li>{@code tokenherd.token.requests} (counter): token requests this instance sent; {@code
 *       tokenherd.refreshes}, {@code tokenherd.adoptions} (a newer token another instance stored),
 *       {@code tokenherd.failures} tagged {@code kind} (transient, ambiguous, permanent,
 *       lost-rotation, caller-timeout).
 *   <li>{@code tokenherd.token.endpoint} (timer): token-endpoint latency, {@code outcome} success
 *       or error.
 *   <li>{@code tokenherd.caller.wait} (timer): how long callers waited for a token.
 *   <li>{@code tokenherd.token.expiry} (gauge, seconds): time to expiry of the served token; {@code
 *       tokenherd.credential.serving} (gauge, 1 or 0) and {@code
 *       tokenherd.credential.reauthentication.required} (gauge, 1 or 0).
 * </ul>
 *
 * <p>Only the client's own credentials ({@code client_credentials}) are metered one by one. Users'
 * credentials (one per login) would make a meter per user: their timers are recorded under the
 * registration id with {@code credential.scope=user}, and no per-user gauge exists.
 */
public final class TokenherdMeterBinder implements MeterBinder {
  private final RegistrationCredentials credentials;
  private final TokenHerd herd;
  private final Clock clock;

  /**
   * Creates the binder.
   *
   * @param credentials the registrations served
   * @param herd the herd, for the fleet clock's offset
   * @param clock this instance's clock
   */
  public TokenherdMeterBinder(RegistrationCredentials credentials, TokenHerd herd, Clock clock) {
    this.credentials = requireNonNull(credentials, "credentials");
    this.herd = requireNonNull(herd, "herd");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    credentials.observe(
        new RegistrationCredentials.Observer() {
          @Override
          public void created(Credential credential) {
            if (credential.shared()) {
              bindCredential(registry, credential);
            }
          }

          @Override
          public void waited(Credential credential, Duration waited, @Nullable Throwable failure) {
            Timer.builder("tokenherd.caller.wait")
                .description("How long callers waited for an access token")
                .tags(tags(credential.registration(), credential.shared()))
                .tag("outcome", failure == null ? "success" : "error")
                .register(registry)
                .record(waited);
          }

          @Override
          public void tokenRequest(
              ClientRegistration registration, Duration took, @Nullable Throwable failure) {
            Timer.builder("tokenherd.token.endpoint")
                .description("Token-endpoint latency of this instance's token requests")
                .tags(tags(registration, RegistrationCredentials.clientCredentials(registration)))
                .tag("outcome", failure == null ? "success" : "error")
                .register(registry)
                .record(took);
          }
        });
  }

  private void bindCredential(MeterRegistry registry, Credential credential) {
    TokenCoordinator coordinator = credential.coordinator();
    Tags tags = tags(credential.registration(), true);
    counter(
        registry,
        "tokenherd.token.requests",
        "Token requests this instance sent",
        tags,
        coordinator,
        CoordinatorStats::tokenRequests);
    counter(
        registry,
        "tokenherd.refreshes",
        "Refreshes this instance completed and stored",
        tags,
        coordinator,
        CoordinatorStats::refreshes);
    counter(
        registry,
        "tokenherd.adoptions",
        "Newer tokens another instance stored, taken over",
        tags,
        coordinator,
        CoordinatorStats::adoptions);
    failures(registry, tags, coordinator, "transient", CoordinatorStats::transientFailures);
    failures(registry, tags, coordinator, "ambiguous", CoordinatorStats::ambiguousFailures);
    failures(registry, tags, coordinator, "permanent", CoordinatorStats::permanentFailures);
    failures(registry, tags, coordinator, "lost-rotation", CoordinatorStats::lostRotations);
    failures(registry, tags, coordinator, "caller-timeout", CoordinatorStats::callerTimeouts);
    Gauge.builder("tokenherd.token.expiry", coordinator, this::secondsToExpiry)
        .description("Seconds until the served access token expires")
        .baseUnit("seconds")
        .tags(tags)
        .register(registry);
    Gauge.builder(
            "tokenherd.credential.serving", coordinator, c -> c.state().status().serving() ? 1 : 0)
        .description("1 while callers get a token at once")
        .tags(tags)
        .register(registry);
    Gauge.builder(
            "tokenherd.credential.reauthentication.required",
            coordinator,
            c -> c.state().status() == CredentialState.Status.REAUTHENTICATION_REQUIRED ? 1 : 0)
        .description("1 when the credential needs a new token set (revoked or lost rotation)")
        .tags(tags)
        .register(registry);
  }

  private double secondsToExpiry(TokenCoordinator coordinator) {
    Duration left =
        coordinator.state().timeToExpiry(clock.instant().plus(herd.clockOffset().offset()));
    return left == null ? Double.NaN : left.toMillis() / 1000.0;
  }

  private static void counter(
      MeterRegistry registry,
      String name,
      String description,
      Tags tags,
      TokenCoordinator coordinator,
      ToLongFunction<CoordinatorStats> count) {
    FunctionCounter.builder(name, coordinator, c -> count.applyAsLong(c.stats()))
        .description(description)
        .tags(tags)
        .register(registry);
  }

  private static void failures(
      MeterRegistry registry,
      Tags tags,
      TokenCoordinator coordinator,
      String kind,
      ToLongFunction<CoordinatorStats> count) {
    FunctionCounter.builder("tokenherd.failures", coordinator, c -> count.applyAsLong(c.stats()))
        .description("Refresh failures in this instance, by kind")
        .tags(tags)
        .tag("kind", kind)
        .register(registry);
  }

  private static Tags tags(ClientRegistration registration, boolean shared) {
    return Tags.of(
        "credential",
        registration.getRegistrationId(),
        "credential.scope",
        shared ? "client" : "user");
  }
}
