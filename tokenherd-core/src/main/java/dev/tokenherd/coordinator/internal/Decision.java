package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.CredentialNotFoundException;
import dev.tokenherd.coordinator.GrantType;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.TokenRecord;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What a refresh does with what the store holds: adopt it (someone else already refreshed), fail
 * (nothing can be refreshed), or refresh. Made twice per attempt, on the first read and again under
 * the lease (the double-check), by the same rules, so that a worker never sends a token request for
 * a record that another worker has just made fresh. A pure function of its inputs: the clock and
 * the jitter enter only through the phase the caller computes.
 */
record Decision(Decision.Action action, @Nullable TokenRefreshException failure) {
  static final Decision ADOPT = new Decision(Action.ADOPT, null);
  static final Decision REFRESH = new Decision(Action.REFRESH, null);

  /** Why a flight started; it decides what counts as "someone else already did it". */
  enum Trigger {
    /** The cached token is stale: refresh unless the store has a fresh one. */
    STALE,
    /** No usable token is cached: adopt any usable stored one, else refresh. */
    EXPIRED,
    /** A resource server rejected a token: refresh unless the store holds another one. */
    REJECTED
  }

  /** What the attempt does next. */
  enum Action {
    ADOPT,
    REFRESH,
    FAIL
  }

  static Decision fail(TokenRefreshException failure) {
    return new Decision(Action.FAIL, failure);
  }

  /**
   * Decides what to do with {@code stored}.
   *
   * @param trigger why the flight started
   * @param rejectedToken the access token a resource server rejected, for {@link Trigger#REJECTED}
   * @param grantType how the credential renews: a client_credentials one renews from nothing
   * @param phase the phase of a stored token set for this worker now (its round trip and draw)
   */
  static Decision of(
      TokenKey key,
      Optional<TokenRecord> stored,
      Trigger trigger,
      @Nullable String rejectedToken,
      GrantType grantType,
      Function<TokenSet, Phase> phase) {
    boolean selfRenewing = grantType == GrantType.CLIENT_CREDENTIALS;
    if (stored.isEmpty()) {
      return selfRenewing ? REFRESH : fail(new CredentialNotFoundException(key));
    }
    TokenRecord record = stored.get();
    if (record.schemaVersion() > TokenRecord.CURRENT_SCHEMA) {
      return fail(Failures.schemaTooNew(key, record));
    }
    if (!record.isActive()) {
      return fail(Entry.reauthFailure(key, record));
    }
    TokenSet tokens = record.tokens();
    if (tokens == null) {
      return selfRenewing ? REFRESH : fail(new CredentialNotFoundException(key));
    }
    Phase now = phase.apply(tokens);
    if (trigger == Trigger.REJECTED) {
      return tokens.accessToken().equals(rejectedToken) || !now.usable() ? REFRESH : ADOPT;
    }
    if (now == Phase.FRESH) {
      return ADOPT;
    }
    if (now == Phase.STALE) {
      return trigger == Trigger.STALE ? REFRESH : ADOPT;
    }
    return REFRESH;
  }
}
