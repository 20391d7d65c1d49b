package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What the fleet's token requests to a user's own authorization server came to, counted by the
 * client: the demo cannot read that server's ledger, so every pod's endpoint is wrapped in a {@link
 * CountingTokenEndpoint} that reports here. Also keeps the newest refresh token the server issued,
 * which the run writes back to the user's file, and whether new requests may still be sent.
 *
 * <p>Thread-safe: the pods' endpoints report on their HTTP clients' threads. Holds secrets (the
 * refresh tokens) and therefore has no {@code toString} beyond {@link Object}'s, and its {@link
 * Snapshot} carries only their fingerprints.
 */
final class TokenRequestTally {
  /** How a request ended when it was not a {@link TokenEndpointException}: a bug, or a refusal. */
  static final String OTHER = "other";

  private final String initialRefreshToken;
  private long sent;
  private long refused;
  private long answered;
  private long rotations;
  private long other;
  private int inFlight;
  private boolean closed;
  private final Map<TokenEndpointException.Kind, Long> failures =
      new EnumMap<>(TokenEndpointException.Kind.class);
  private final Map<String, Long> errorCodes = new TreeMap<>();
  private final Map<String, String> firstFailures = new TreeMap<>();
  private String currentRefreshToken;
  private @Nullable TokenResponse newest;

  /**
   * Starts counting from the refresh token the user logged in with.
   *
   * @param initialRefreshToken the refresh token read from the user's file
   */
  TokenRequestTally(String initialRefreshToken) {
    this.initialRefreshToken = requireNonNull(initialRefreshToken, "initialRefreshToken");
    this.currentRefreshToken = initialRefreshToken;
  }

  /**
   * Notes that a request is about to be sent.
   *
   * @return {@code false} if the tally is {@linkplain #close() closed}: the request must not be
   *     sent
   */
  synchronized boolean sending() {
    if (closed) {
      refused++;
      return false;
    }
    sent++;
    inFlight++;
    return true;
  }

  /**
   * Notes the server's answer to {@code request}: a rotation if it brought a refresh token other
   * than the one presented. The answer received last is the newest: the fleet sends one refresh at
   * a time, and an answer that overtook another would mean two requests in flight, which is what
   * Tokenherd's lock prevents.
   */
  synchronized void answered(TokenRequest request, TokenResponse response) {
    answered++;
    String issued = response.refreshToken();
    if (issued != null && !issued.equals(request.refreshToken())) {
      rotations++;
      currentRefreshToken = issued;
    }
    newest = response;
    finished();
  }

  /** Notes that a request failed: by kind, with the OAuth 2.0 error code and the first message. */
  synchronized void failed(Throwable failure) {
    if (failure instanceof TokenEndpointException e) {
      failures.merge(e.kind(), 1L, Long::sum);
      OAuth2Error error = e.error();
      if (error != null) {
        errorCodes.merge(error.error(), 1L, Long::sum);
      }
      // an endpoint's exception messages name the status and error code, never a secret
      firstFailures.putIfAbsent(e.kind().name(), String.valueOf(e.getMessage()));
    } else {
      other++;
      // another exception's message could carry anything: its class says enough
      firstFailures.putIfAbsent(OTHER, failure.getClass().getName());
    }
    finished();
  }

  private void finished() {
    inFlight--;
    notifyAll();
  }

  /** Refuses every later request: the run is ending and the refresh token is about to be saved. */
  synchronized void close() {
    closed = true;
  }

  /**
   * Waits until no request is in flight, so that the refresh token saved next is the server's last.
   *
   * @param atMost the longest wait
   * @return whether none is in flight
   */
  synchronized boolean awaitIdle(Duration atMost) throws InterruptedException {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (inFlight > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** Returns the refresh token the server issued last, or the initial one if it never rotated. */
  synchronized String currentRefreshToken() {
    return currentRefreshToken;
  }

  /** Returns whether the server has issued a refresh token other than the initial one. */
  synchronized boolean rotated() {
    return !currentRefreshToken.equals(initialRefreshToken);
  }

  /** Returns the counts so far. */
  synchronized Snapshot snapshot() {
    TokenResponse last = newest;
    return new Snapshot(
        sent,
        answered,
        count(TokenEndpointException.Kind.TRANSIENT),
        count(TokenEndpointException.Kind.AMBIGUOUS),
        count(TokenEndpointException.Kind.PERMANENT),
        count(TokenEndpointException.Kind.INVALID_RESPONSE),
        other,
        refused,
        rotations,
        Map.copyOf(errorCodes),
        Map.copyOf(firstFailures),
        last == null ? null : last.issuedAt(),
        last == null ? null : last.expiresAt());
  }

  private long count(TokenEndpointException.Kind kind) {
    return failures.getOrDefault(kind, 0L);
  }

  /**
   * The client's counts at one moment. No secret: codes and messages are what the endpoint's
   * exceptions carry (status and error code).
   *
   * @param sent token requests sent to the server
   * @param answered requests the server answered with a token
   * @param transientFailures requests that certainly changed nothing (never sent, 5xx, 429, 408)
   * @param ambiguousFailures requests sent without a readable answer: the server may have rotated
   * @param permanentFailures refusals that retrying cannot change (invalid_grant, invalid_client)
   * @param invalidResponses answers that were not a valid token response
   * @param otherFailures failures of another type (a bug in the client, not the server)
   * @param refused requests not sent because the run was ending
   * @param rotations answers that brought a new refresh token
   * @param errorCodes OAuth 2.0 error codes received, with how many times
   * @param firstFailures the first message of each kind of failure
   * @param lastIssuedAt when the newest answer was received, or {@code null} before one
   * @param lastExpiresAt when the newest answer's access token expires, or {@code null}
   */
  record Snapshot(
      long sent,
      long answered,
      long transientFailures,
      long ambiguousFailures,
      long permanentFailures,
      long invalidResponses,
      long otherFailures,
      long refused,
      long rotations,
      Map<String, Long> errorCodes,
      Map<String, String> firstFailures,
      @Nullable Instant lastIssuedAt,
      @Nullable Instant lastExpiresAt) {

    /** Returns the failed requests, of every kind. */
    long failed() {
      return transientFailures
          + ambiguousFailures
          + permanentFailures
          + invalidResponses
          + otherFailures;
    }

    /** Returns whether the server answered {@code code} at least once. */
    boolean received(String code) {
      return errorCodes.containsKey(code);
    }

    /** Returns the lifetime of the newest access token, or {@code null} before one. */
    @Nullable Duration lifetime() {
      Instant issued = lastIssuedAt;
      Instant expires = lastExpiresAt;
      return issued == null || expires == null ? null : Duration.between(issued, expires);
    }
  }
}
