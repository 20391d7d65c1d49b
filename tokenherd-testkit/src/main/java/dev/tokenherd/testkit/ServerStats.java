package dev.tokenherd.testkit;

/**
 * A snapshot of a {@link FakeAuthorizationServer}'s counters since it started or was last {@link
 * FakeAuthorizationServer#reset() reset}.
 *
 * @param tokenRequests every {@code POST /token} received, whatever became of it
 * @param refreshEvents successful refresh_token grants that advanced the credential (a rotation, or
 *     a renewal in the non-rotating modes); grace-period replays are not counted
 * @param clientCredentialsGrants successful client_credentials grants
 * @param graceReuses rotated-away refresh tokens accepted within the grace period
 * @param reuseDetections rotated-away refresh tokens presented outside any grace period while their
 *     family was live (once a family is revoked, its tokens count only as invalid grants)
 * @param familiesRevoked token families revoked, by reuse detection or by {@link
 *     FakeAuthorizationServer#revokeFamilyOf} / {@link FakeAuthorizationServer#revokeAll()}
 * @param invalidGrants token requests answered {@code invalid_grant} by the server itself
 * @param invalidClients token requests answered {@code invalid_client}
 * @param faultsInjected token requests whose answer was replaced by an injected {@link Fault}
 * @param resourceRequests requests to {@code /resource}
 * @param resourceRejections requests to {@code /resource} answered 401
 */
public record ServerStats(
    long tokenRequests,
    long refreshEvents,
    long clientCredentialsGrants,
    long graceReuses,
    long reuseDetections,
    long familiesRevoked,
    long invalidGrants,
    long invalidClients,
    long faultsInjected,
    long resourceRequests,
    long resourceRejections) {

  /**
   * Returns how many token requests have been answered. A request is counted in {@link
   * #tokenRequests} on receipt but its outcome only after the server's latency, so the two differ
   * while requests are on the wire. A reuse detection is also counted as an invalid grant.
   *
   * @return the sum of the outcome counters: refresh events, grace reuses, invalid grants, invalid
   *     clients, client_credentials grants and injected faults
   */
  public long answeredRequests() {
    return refreshEvents
        + graceReuses
        + invalidGrants
        + invalidClients
        + clientCredentialsGrants
        + faultsInjected;
  }
}
