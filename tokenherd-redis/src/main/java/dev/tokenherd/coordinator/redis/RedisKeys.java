package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.TokenKey;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Names every Redis key and channel Tokenherd uses, under one namespace.
 *
 * <p>A credential {@code K} in namespace {@code ns} owns {@code ns:{K}:record} (the hash holding
 * its record), {@code ns:{K}:lock} (Redisson's fenced lock and its fencing counter) and the pub/sub
 * channel {@code ns:{K}:changed}. The braces are a Redis Cluster hash tag: all three land in one
 * slot, so the store's script may touch them together.
 *
 * @param namespace the prefix shared by a fleet, 1 to 64 characters of letters, digits and {@code .
 *     _ -}; fleets with different namespaces never see each other's credentials
 */
public record RedisKeys(String namespace) {
  /** The namespace used when none is configured. */
  public static final String DEFAULT_NAMESPACE = "tokenherd";

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /**
   * Validates the namespace.
   *
   * @param namespace the prefix shared by a fleet: 1 to 64 characters of letters, digits and {@code
   *     . _ -}
   * @throws IllegalArgumentException if it is empty, too long or has other characters
   */
  public RedisKeys {
    requireNonNull(namespace, "namespace");
    if (!VALID.matcher(namespace).matches()) {
      throw new IllegalArgumentException(
          "namespace must be 1-64 characters of [A-Za-z0-9._-], got '" + namespace + "'");
    }
  }

  /**
   * Returns the keys of a namespace.
   *
   * @param namespace the namespace
   * @return the keys
   */
  public static RedisKeys of(String namespace) {
    return new RedisKeys(namespace);
  }

  /**
   * Returns the keys of {@link #DEFAULT_NAMESPACE}.
   *
   * @return the keys in namespace {@value #DEFAULT_NAMESPACE}
   */
  public static RedisKeys defaults() {
    return new RedisKeys(DEFAULT_NAMESPACE);
  }

  /**
   * Returns the hash holding {@code key}'s record.
   *
   * @param key the credential
   * @return the Redis key {@code ns:{K}:record}
   */
  public String record(TokenKey key) {
    return prefix(key) + "record";
  }

  /**
   * Returns the name of {@code key}'s fenced lock.
   *
   * @param key the credential
   * @return the Redis key {@code ns:{K}:lock}
   */
  public String lock(TokenKey key) {
    return prefix(key) + "lock";
  }

  /**
   * Returns the channel announcing {@code key}'s new versions.
   *
   * @param key the credential
   * @return the pub/sub channel {@code ns:{K}:changed}
   */
  public String changed(TokenKey key) {
    return prefix(key) + "changed";
  }

  /**
   * Returns the credential whose change channel this is.
   *
   * @param channel a channel name
   * @return the credential, or empty if the channel is not a change channel of this namespace
   */
  public Optional<TokenKey> credentialOfChannel(String channel) {
    String head = namespace + ":{";
    String tail = "}:changed";
    if (!channel.startsWith(head)
        || !channel.endsWith(tail)
        || channel.length() <= head.length() + tail.length()) {
      return Optional.empty();
    }
    String name = channel.substring(head.length(), channel.length() - tail.length());
    try {
      return Optional.of(TokenKey.of(name));
    } catch (IllegalArgumentException notAKey) {
      return Optional.empty();
    }
  }

  /**
   * Returns the associated data that binds an encrypted secret to its namespace and credential, so
   * that a record copied to another credential's key fails to decrypt.
   *
   * @param key the credential
   * @return {@code ns:K}: the namespace and the credential's name, separated by a colon
   */
  public String associatedData(TokenKey key) {
    return namespace + ":" + key.name();
  }

  private String prefix(TokenKey key) {
    return namespace + ":{" + key.name() + "}:";
  }
}
