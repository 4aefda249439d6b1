# Reference solutions of notebook 03 · Build it yourself: a tensor autograd in 100 lines.
#
# Each cell replaces the answer cell of its step (the given code of that cell included). In the
# notebook, `_course.load_solution("build_it_yourself", N)` puts solution N into a cell; the checks
# say what is wrong before that.

# %% Exercise 1
class Tensor:
    def __init__(self, data, requires_grad=False):
        self.data = np.asarray(data, dtype=np.float64)
        self.requires_grad = requires_grad
        self.grad = None
        self.grad_fn = None

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        return f"Tensor({self.data}, grad_fn={self.grad_fn and self.grad_fn.name()})"

    # Given: the operators, and backward.
    def __add__(self, other):
        return Add.apply(self, other)

    def __mul__(self, other):
        return Mul.apply(self, other)

    def __pow__(self, n):
        return Pow.apply(self, n)

    def __matmul__(self, other):
        return Mm.apply(self, other)

    def sum(self):
        return Sum.apply(self)

    def relu(self):
        return Relu.apply(self)

    def backward(self):
        run_backward(self)


print("Tensor defined")

# %% Exercise 2
class Function:
    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    def name(self):
        return type(self).__name__ + "Backward0"

    @classmethod
    def apply(cls, *inputs):
        ctx = cls()
        ctx.inputs = inputs
        out = Tensor(cls.forward(ctx, *(t.data if isinstance(t, Tensor) else t for t in inputs)))
        if any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
            out.requires_grad, out.grad_fn = True, ctx  # the node is recorded only where a gradient is needed
        return out


# Given: Exp, the shape of every op to come.
class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)  # d exp(x)/dx = exp(x): keep the output
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return (grad * y,)  # a tuple: one gradient per input


print("Function and Exp defined")

# %% Exercise 3
class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.b_shape = b.shape
        return a + b

    @staticmethod
    def backward(ctx, grad):  # d(a + b)/da = d(a + b)/db = 1; b was broadcast over the rows
        return grad, sum_to(grad, ctx.b_shape)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):  # d(ab)/da = b, d(ab)/db = a
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class Pow(Function):
    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return x ** n

    @staticmethod
    def backward(ctx, grad):  # d(x^n)/dx = n x^(n-1); n is a number: no gradient
        (x,) = ctx.saved_tensors
        return grad * ctx.n * x ** (ctx.n - 1), None


class Sum(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return x.sum()

    @staticmethod
    def backward(ctx, grad):  # every x_i gets the output's gradient
        return (np.full(ctx.shape, grad),)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad):  # 1 where x > 0, else 0
        (x,) = ctx.saved_tensors
        return (grad * (x > 0),)


class Mm(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):  # dL/dA = G B^T, dL/dB = A^T G
        a, b = ctx.saved_tensors
        return grad @ b.T, a.T @ grad


print("six ops defined")

# %% Exercise 4
def topological_order(root):
    order, seen = [], set()

    def visit(node):
        if node is None or node in seen:
            return
        seen.add(node)
        for t in node.inputs:
            if isinstance(t, Tensor):
                visit(t.grad_fn)
        order.append(node)  # after the nodes of its inputs

    visit(root.grad_fn)
    return order[::-1]  # reversed: each node before its inputs' nodes


print("topological_order defined")

# %% Exercise 5
def accumulate(leaf, grad):
    leaf.grad = grad if leaf.grad is None else leaf.grad + grad


print("accumulate defined")

# %% Exercise 6
def run_backward(root):
    pending = {root.grad_fn: np.ones_like(root.data)}  # node -> the gradient summed for it so far
    for node in topological_order(root):
        grads = type(node).backward(node, pending.pop(node))
        for t, g in zip(node.inputs, grads):
            if not isinstance(t, Tensor) or not t.requires_grad or g is None:
                continue  # a number, a constant, or no gradient
            if t.grad_fn is None:
                accumulate(t, g)  # a leaf
            else:
                pending[t.grad_fn] = pending.get(t.grad_fn, 0) + g  # summed over every use


print("run_backward defined")

# %% Exercise 7
def sgd_step(params, lr):
    for p in params:
        p.data = p.data - lr * p.grad
        p.grad = None  # the next backward starts from nothing


print("sgd_step defined")
