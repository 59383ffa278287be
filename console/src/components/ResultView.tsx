import { Result, type ResultProps } from 'antd';

/** antd's Result with its illustrations: loaded only when a page has to show one. */
export default function ResultView(props: ResultProps) {
  return <Result {...props} />;
}
