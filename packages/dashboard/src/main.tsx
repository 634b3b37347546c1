import { render } from 'preact';

render(<p>Kolejka</p>, document.getElementById('app')!);
