package dev.tokenherd.examples.spring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** The worker's job when run on its own: call the partner API every few seconds and log it. */
@Component
@ConditionalOnBooleanProperty(name = "partner.poll", matchIfMissing = true)
public class PartnerPoller {
  private static final Logger log = LoggerFactory.getLogger(PartnerPoller.class);

  private final PartnerCalls partner;

  /**
   * Creates the poller.
   *
   * @param partner the partner API
   */
  public PartnerPoller(PartnerCalls partner) {
    this.partner = partner;
  }

  /** Calls the API once; a failure is logged, and the next call tries again. */
  @Scheduled(fixedDelayString = "${partner.poll-interval:5s}")
  public void poll() {
    try {
      log.info("partner answered: {}", partner.hello());
    } catch (RuntimeException e) {
      log.warn("partner call failed: {}", e.toString());
    }
  }
}
