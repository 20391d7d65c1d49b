package dev.tokenherd.examples.strategies;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * What the three peers share: a plain Lettuce connection to the hash that holds {@link
 * SharedToken}, and a token endpoint client. Reads and writes are unconditional, as in the code the
 * peers stand for; there is no version to compare and no fence.
 */
final class PeerClient implements AutoCloseable {
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  private final RedisClient redis;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisCommands<String, String> commands;
  private final String hashKey;
  private final TokenEndpoint endpoint;
  private final Clock clock;

  PeerClient(String redisUri, String hashKey, TokenEndpoint endpoint, Clock clock) {
    this.redis = RedisClient.create(requireNonNull(redisUri, "redisUri"));
    this.connection = redis.connect();
    this.commands = connection.sync();
    this.hashKey = requireNonNull(hashKey, "hashKey");
    this.endpoint = requireNonNull(endpoint, "endpoint");
    this.clock = requireNonNull(clock, "clock");
  }

  Clock clock() {
    return clock;
  }

  /** Reads the shared token; {@code null} if nothing was seeded. */
  @Nullable SharedToken read() {
    return SharedToken.fromHash(commands.hgetall(hashKey));
  }

  /** Overwrites the shared token, whatever is stored now. */
  void write(SharedToken token) {
    commands.hset(hashKey, token.toHash());
  }

  /** Returns the hash's Redis commands, for the lock-and-poll peer's lock. */
  RedisCommands<String, String> commands() {
    return commands;
  }

  /**
   * Presents {@code current}'s refresh token, blocking until the server answers.
   *
   * @return the new token (with the old refresh token if the answer carries none)
   * @throws CredentialRevokedException on {@code invalid_grant}
   * @throws TokenEndpointException on any other failure
   */
  SharedToken refresh(SharedToken current) {
    TokenResponse response;
    try {
      response =
          endpoint
              .requestToken(TokenRequest.refresh(current.refreshToken(), Set.of(), REQUEST_TIMEOUT))
              .toCompletableFuture()
              .join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof TokenEndpointException failure) {
        OAuth2Error error = failure.error();
        if (error != null && OAuth2Error.INVALID_GRANT.equals(error.error())) {
          throw new CredentialRevokedException(failure);
        }
        throw failure;
      }
      throw e;
    }
    String refreshToken =
        response.refreshToken() == null ? current.refreshToken() : response.refreshToken();
    return new SharedToken(response.accessToken(), refreshToken, response.expiresAt());
  }

  /**
   * Returns the stored token, failing if none was seeded.
   *
   * @throws IllegalStateException if the hash is empty
   */
  SharedToken readSeeded() {
    SharedToken token = read();
    if (token == null) {
      throw new IllegalStateException("no token seeded at " + hashKey);
    }
    return token;
  }

  @Override
  public void close() {
    connection.close();
    redis.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
