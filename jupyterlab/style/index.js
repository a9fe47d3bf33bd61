import './index.css';
import './panels.css';
