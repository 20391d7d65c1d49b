package dev.tokenherd.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a {@link TokenherdConfigurationException} at start-up: the property and the fix. */
class TokenherdFailureAnalyzer extends AbstractFailureAnalyzer<TokenherdConfigurationException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, TokenherdConfigurationException cause) {
    return new FailureAnalysis(
        "Tokenherd cannot start: " + cause.getMessage(), cause.action(), cause);
  }
}
