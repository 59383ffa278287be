import { Component, type ReactNode } from 'react';
import { ErrorState } from './states.js';

/**
 * A rendering error (a bug, or an answer of an unexpected shape) shows its message with a retry instead of
 * a blank screen. `resetKey` (the route) clears it when the user navigates away.
 */
export class ErrorBoundary extends Component<
  { children: ReactNode; resetKey?: string },
  { error: unknown; key?: string | undefined }
> {
  override state: { error: unknown; key?: string | undefined } = { error: undefined };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  static getDerivedStateFromProps(
    props: { resetKey?: string },
    state: { error: unknown; key?: string | undefined },
  ): { error: unknown; key?: string | undefined } | null {
    if (props.resetKey !== state.key) return { error: undefined, key: props.resetKey };
    return null;
  }

  override render() {
    if (this.state.error !== undefined)
      return <ErrorState error={this.state.error} onRetry={() => this.setState({ error: undefined })} />;
    return this.props.children;
  }
}
